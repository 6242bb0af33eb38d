#!/usr/bin/env python3
"""Generates the demonstration evaluation set in evaluations/demo/ (模拟数据，仅供演示).

Synthetic but plausible self-evaluation tables (自评表) for 2024 and 2025: projects across every
project type of the bundled library, their indicators taken from the library and written the way
budget units write them (aliases, synonyms, extra words such as “（%）”, other unit spellings), a
few indicators the library does not have yet (each written by several projects in slightly
different words), targets from the library's reference values, actuals scattered around them,
deviation reasons for misses, and grades consistent with the scores.

Standard library only; deterministic (fixed seed). Run from the repository root:

    python3 tools/gen_demo_evaluations.py

It writes self-evaluations-2024.csv, self-evaluations-2025.csv and answer_key.csv (the library
code, or NEW:<id>, each row was generated from: for tests of the matching, never read by the
application). The .xlsx of 2025 is then written from its CSV by
`cargo run --example demo_xlsx`.
"""

import csv
import glob
import os
import random
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "evaluations", "demo")
SEED = 20250601
YEARS = (2024, 2025)
PROJECTS_PER_TYPE = {2024: 4, 2025: 5}

COLUMNS = ["项目名称", "预算单位", "年度", "项目类型", "预算金额(万元)", "预算执行率(%)", "自评得分",
           "评价等级", "一级指标", "二级指标", "三级指标", "指标编码", "计量单位", "指标方向",
           "年度目标值", "实际完成值", "得分", "偏差原因"]

UNITS_BY_SECTOR = {
    "交通": ["区交通运输局", "区住房和城乡建设局"],
    "城乡建设/城市管理": ["区住房和城乡建设局", "区城市管理局", "北城街道办事处", "滨江街道办事处"],
    "水利": ["区水务局"],
    "生态环境": ["区生态环境分局", "区水务局"],
    "农业农村": ["区农业农村局", "河口乡人民政府", "青山镇人民政府"],
    "教育": ["区教育体育局", "区第一中学", "实验小学"],
    "卫生健康": ["区卫生健康局", "区疾病预防控制中心", "区市场监督管理局"],
    "民政社保": ["区民政局", "区人力资源和社会保障局", "区残疾人联合会"],
    "科技": ["区科技和工业信息化局"],
    "产业发展": ["区商务局", "区投资促进局", "高新园区管委会"],
    "一般公共服务": ["区政务服务管理局", "区财政局", "区委办公室", "区大数据中心"],
    "文旅体": ["区文化和旅游局", "区委宣传部"],
    "应急安全": ["区应急管理局", "区消防救援大队"],
}

PLACES = ["北城", "南湖", "滨江", "河口", "青山", "城东", "城西", "老城区", "高新园区", "金马", "龙泉",
          "白沙", "官渡", "新街", "东风", "长坡"]
SUFFIXES = ["项目", "项目", "专项资金", "（一期）", "（二期）", "提升项目", "年度项目"]

DEVIATION_REASONS = [
    "资金到位延迟，部分工作顺延至次年",
    "受天气原因影响，施工工期顺延",
    "政策调整，部分任务取消",
    "征地拆迁进度滞后",
    "招标采购流程较长，项目启动推迟",
    "设备供货延迟",
    "实际需求低于年初预计",
    "设计变更导致工程量调整",
    "服务对象申报数量少于预期",
    "部分点位协调难度大，进度滞后",
]

# Indicators the library does not have yet, by project-type group: (id, level1, level2, unit,
# direction, target, wordings). Several projects write each, in slightly different words.
NOVEL = {
    "工程建设": [
        ("N01", "产出指标", "质量指标", "%", "≥", "95", ["绿色建材应用比例", "绿色建材使用比例", "绿色建材应用比例（%）"]),
        ("N02", "效益指标", "社会效益指标", "次", "≤", "2", ["施工噪声扰民投诉次数", "施工期噪声扰民投诉次数"]),
    ],
    "设备与信息化": [
        ("N03", "产出指标", "质量指标", "%", "≥", "99", ["国产化软硬件替代比例", "国产化软硬件替代率"]),
        ("N04", "效益指标", "可持续影响指标", "年", "≥", "5", ["数据资源目录持续更新年限", "数据资源目录持续更新保障年限"]),
    ],
    "运行维护": [
        ("N05", "产出指标", "时效指标", "小时", "≤", "24", ["井盖缺失补装响应时长", "井盖缺失补装响应时间"]),
        ("N06", "效益指标", "生态效益指标", "%", "≥", "90", ["落叶就地堆肥利用比例", "落叶就地堆肥利用率"]),
    ],
    "补助补贴": [
        ("N07", "产出指标", "质量指标", "%", "=", "100", ["补贴资金一卡通直达兑付比例", "补贴资金一卡通直达兑付率"]),
        ("N08", "效益指标", "社会效益指标", "%", "≤", "1", ["冒领错发追回后剩余差错比例", "冒领错发剩余差错比例"]),
    ],
    "公共服务购买": [
        ("N09", "产出指标", "质量指标", "%", "≥", "95", ["服务过程留痕影像归档齐全率", "服务过程影像留痕归档齐全率"]),
    ],
    "能力建设与活动": [
        ("N10", "效益指标", "社会效益指标", "次", "≥", "10000", ["新媒体话题累计阅读互动量", "新媒体话题阅读互动量"]),
        ("N11", "产出指标", "质量指标", "%", "≥", "90", ["线上直播回放课件完整率", "直播回放课件完整率"]),
    ],
    "研究与规划": [
        ("N12", "效益指标", "可持续影响指标", "项", "≥", "2", ["研究结论写入区级政策文件数", "研究结论纳入区级政策文件数"]),
    ],
    "专项业务": [
        ("N13", "产出指标", "时效指标", "天", "≤", "3", ["群众举报线索首次核查用时", "举报线索首次核查用时"]),
    ],
}

QUALIFIERS = ["辖区", "城区", "全区", "项目区", "本项目"]


def load_library():
    types = tomllib.load(open(os.path.join(ROOT, "indicators", "project_types.toml"), "rb"))["type"]
    inds = []
    for f in sorted(glob.glob(os.path.join(ROOT, "indicators", "common", "*.toml"))
                    + glob.glob(os.path.join(ROOT, "indicators", "types", "*.toml"))):
        inds.extend(tomllib.load(open(f, "rb")).get("indicator", []))
    return types, inds


def fits(ind, t):
    return t["code"] in ind.get("project_types", []) or any(n in t.get("natures", []) for n in ind.get("natures", []))


def is_num(s):
    try:
        float(s)
        return True
    except (TypeError, ValueError):
        return False


def fmt(x, unit):
    if unit in ("%", "‰") or abs(x) < 10:
        s = f"{x:.1f}"
    else:
        s = f"{x:.0f}"
    return s[:-2] if s.endswith(".0") else s


UNIT_SPELLINGS = {"%": ["％", "百分比"], "公里": ["km", "千米"], "平方米": ["㎡", "平米"],
                  "万平方米": ["万㎡"], "人次": ["人/次"], "立方米": ["m³"]}
SYNONYMS = [("完成率", ["达成率", "完成比例"]), ("满意度", ["满意率"]), ("合格率", ["合格比例"])]


def wording(rng, ind):
    """The name as a unit writes it, and which kind of variation it is."""
    name = ind["name"]
    r = rng.random()
    if r < 0.42:
        return name
    if r < 0.57 and ind.get("aliases"):
        return rng.choice(ind["aliases"])
    if r < 0.67:
        return f"{name}（{ind['unit']}）" if ind["unit"] not in ("等级",) else name
    if r < 0.74:
        return rng.choice(["年度", "全年"]) + name
    if r < 0.82:
        for w, alts in SYNONYMS:
            if w in name:
                return name.replace(w, rng.choice(alts))
        return name + "（" + ind["unit"] + "）"
    if r < 0.93:
        return rng.choice(QUALIFIERS) + name
    # Harder: a word dropped or moved; some of these need a curator.
    if len(name) > 6 and rng.random() < 0.5:
        return name[:2] + name[4:]
    return name[2:4] + name[:2] + name[4:] if len(name) > 5 else name


def unit_spelling(rng, unit):
    if unit in UNIT_SPELLINGS and rng.random() < 0.25:
        return rng.choice(UNIT_SPELLINGS[unit])
    return unit


def level2_spelling(rng, l2):
    return l2[:-2] if l2.endswith("指标") and rng.random() < 0.2 else l2


def values(rng, ind, quality):
    """(target, actual, met) for a library indicator in one project."""
    unit, d, t = ind["unit"], ind["direction"], ind.get("target", "")
    p_met = 0.55 + 0.4 * quality
    met = rng.random() < p_met
    if d == "定性" or not is_num(t):
        target = t or "达到预期"
        actual = target if met else rng.choice(["基本达到", "部分达到"])
        return target, actual, met
    base = float(t)
    rate = unit in ("%", "‰")
    if rate:
        target = base if rng.random() < 0.6 else min(100.0, base + rng.choice([-5, -2, 2, 3]))
        target = max(target, 1.0)
    else:
        target = base * rng.choice([0.5, 0.8, 1, 1, 1.2, 1.5, 2])
    if d == "=":
        actual = target if met else target * rng.uniform(0.85, 0.99)
    elif d == "≥":
        if met:
            actual = target * rng.uniform(1.0, 1.08)
            if rate:
                actual = min(actual, 100.0)
        else:
            actual = target * rng.uniform(0.75, 0.98)
    else:  # ≤
        if target == 0:
            actual = 0 if met else rng.choice([1, 2])
        elif met:
            actual = target * rng.uniform(0.8, 1.0)
        else:
            actual = target * rng.uniform(1.03, 1.25)
    target_s, actual_s = fmt(target, unit), fmt(actual, unit)
    # Rounding may turn a near miss into a meet: keep the written values and the flag consistent.
    if d == "≥":
        met = float(actual_s) >= float(target_s)
    elif d == "≤":
        met = float(actual_s) <= float(target_s)
    else:
        met = float(actual_s) == float(target_s)
    return target_s, actual_s, met


def main():
    rng = random.Random(SEED)
    types, inds = load_library()
    by_type = {t["code"]: [i for i in inds if fits(i, t)] for t in types}
    answer = []
    continuing = {}
    for year in YEARS:
        rows = []
        used_names = set()
        for t in types:
            units = []
            for s in t.get("sectors", []):
                units.extend(UNITS_BY_SECTOR.get(s, []))
            units = units or ["区财政局"]
            novel = NOVEL.get(t["group"], [])
            for k in range(PROJECTS_PER_TYPE[year]):
                key = (t["code"], k)
                if year == 2025 and key in continuing and rng.random() < 0.4:
                    pname, unit = continuing[key]
                else:
                    for _ in range(50):
                        kws = [k for k in t.get("keywords", []) if len(k) >= 4] + [t["name"]]
                        pname = f"{rng.choice(PLACES)}{rng.choice(kws)}{rng.choice(SUFFIXES)}".replace("提升提升", "提升")
                        unit = rng.choice(units)
                        if (pname, unit) not in used_names:
                            break
                    continuing[key] = (pname, unit)
                used_names.add((pname, unit))
                quality = rng.betavariate(5, 1.6)
                cands = by_type[t["code"]]
                core = [i for i in cands if t["code"] in i.get("core", [])]
                chosen = list(core[:5])
                by_l2 = {}
                for i in cands:
                    by_l2.setdefault((i["level1"], i["level2"]), []).append(i)
                for (l1, l2), group in sorted(by_l2.items()):
                    want = 2 if l1 == "产出指标" else 1
                    picks = [i for i in group if i not in chosen]
                    rng.shuffle(picks)
                    n_have = sum(1 for c in chosen if c["level2"] == l2)
                    if l1 != "满意度指标" and rng.random() < 0.3:
                        continue
                    chosen.extend(picks[: max(0, want - n_have)])
                order = {"产出指标": 0, "效益指标": 1, "满意度指标": 2}
                chosen.sort(key=lambda i: (order.get(i["level1"], 3), i["level2"]))
                project_rows = []
                for ind in chosen:
                    target, actual, met = values(rng, ind, quality)
                    project_rows.append(dict(ind=ind, name=wording(rng, ind), target=target, actual=actual,
                                             met=met, weight=ind.get("weight", 5), key=ind["code"]))
                if novel and rng.random() < 0.5:
                    nid, l1, l2, unit_n, d, tgt, words = rng.choice(novel)
                    met = rng.random() < 0.5 + 0.4 * quality
                    tv = float(tgt)
                    if d == "≥":
                        av = tv * (rng.uniform(1.0, 1.05) if met else rng.uniform(0.8, 0.97))
                        if unit_n == "%":
                            av = min(av, 100.0)
                    elif d == "≤":
                        av = tv * (rng.uniform(0.6, 1.0) if met else rng.uniform(1.1, 1.5))
                    else:
                        av = tv if met else tv * rng.uniform(0.9, 0.99)
                    fake = dict(name=rng.choice(words), level1=l1, level2=l2, unit=unit_n, direction=d)
                    a_s = fmt(av, unit_n)
                    t_s = fmt(tv, unit_n)
                    met = (float(a_s) >= float(t_s)) if d == "≥" else (float(a_s) <= float(t_s)) if d == "≤" else float(a_s) == float(t_s)
                    project_rows.append(dict(ind=fake, name=fake["name"], target=t_s, actual=a_s, met=met,
                                             weight=5, key="NEW:" + nid))
                # Scores: each row earns its share of 90 points by how far it got; execution 10.
                total_w = sum(r["weight"] for r in project_rows)
                exec_rate = round(min(100.0, rng.uniform(82, 100) if quality > 0.4 else rng.uniform(55, 90)), 1)
                score = 10 * exec_rate / 100
                for r in project_rows:
                    share = 90 * r["weight"] / total_w
                    if r["met"]:
                        got = share
                    else:
                        got = share * rng.uniform(0.3, 0.9)
                    r["score"] = round(got, 1)
                    score += got
                # Projects with weak management lose points for process findings too.
                score -= (1 - quality) * rng.uniform(0, 45)
                score = round(max(35.0, min(100.0, score)), 1)
                grade = "优" if score >= 90 else "良" if score >= 80 else "中" if score >= 60 else "差"
                budget = round(rng.choice([30, 50, 80, 120, 200, 350, 500, 800, 1200, 2500]) * rng.uniform(0.8, 1.3), 2)
                for r in project_rows:
                    ind = r["ind"]
                    code = ind.get("code", "") if rng.random() < 0.1 else ""
                    target = r["target"]
                    direction = ind["direction"]
                    if direction in ("≥", "≤") and rng.random() < 0.15:
                        target, direction = direction + target, ""
                    rows.append({
                        "项目名称": pname, "预算单位": unit, "年度": str(year), "项目类型": t["name"],
                        "预算金额(万元)": f"{budget:g}", "预算执行率(%)": f"{exec_rate:g}", "自评得分": f"{score:g}",
                        "评价等级": grade, "一级指标": ind["level1"], "二级指标": level2_spelling(rng, ind["level2"]),
                        "三级指标": r["name"], "指标编码": code, "计量单位": unit_spelling(rng, ind["unit"]),
                        "指标方向": direction, "年度目标值": target, "实际完成值": r["actual"],
                        "得分": f"{r['score']:g}",
                        "偏差原因": "" if r["met"] else rng.choice(DEVIATION_REASONS),
                    })
                    answer.append((f"self-evaluations-{year}", len(rows) + 1, r["key"]))
        path = os.path.join(OUT, f"self-evaluations-{year}.csv")
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
        projects = len({(r["项目名称"], r["预算单位"]) for r in rows})
        print(f"{path}: {projects} projects, {len(rows)} rows")
    with open(os.path.join(OUT, "answer_key.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["file", "row", "code"])
        w.writerows(answer)


if __name__ == "__main__":
    main()
