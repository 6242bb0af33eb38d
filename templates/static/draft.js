// The drafting page: every edit is sent to /api/v1/lint and what the review finds is shown
// beside its row (and listed in the summary above the table) from the same answer, so a fixed
// value clears its message and the count together. Without JavaScript the form still saves and
// the server shows the same findings.
(function () {
  const form = document.querySelector('form[data-draft]');
  const summary = document.getElementById('lint-summary');
  const general = document.getElementById('lint-general');
  const byRow = document.getElementById('lint-row-list');
  if (!form || !summary || !general) return;

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  const field = (name) => form.querySelector('[name="' + name + '"]');
  // Digits and separators as people type them (full-width, 1,200, 500万元); null when not a number.
  function amount(text) {
    let t = String(text).trim().replace(/[\uFF10-\uFF19\uFF0E\uFF0C]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xFEE0));
    let factor = 1;
    const units = [['万元', 1], ['万', 1], ['亿元', 10000], ['亿', 10000], ['元', 0.0001]];
    for (const [u, f] of units) { if (t.endsWith(u)) { t = t.slice(0, -u.length).trim(); factor = f; break; } }
    t = t.replace(/,(?=\d{3}(\D|$))/g, '');
    if (!/^\d+(\.\d+)?$/.test(t)) return null;
    return Number(t) * factor;
  }
  function project() {
    const p = JSON.parse(form.dataset.project);
    const texts = { project_name: 'name', unit_name: 'unit_name', department: 'department', implementer: 'implementer',
      period: 'period', description: 'description', annual_goal: 'annual_goal', midterm_goal: 'midterm_goal' };
    for (const [input, key] of Object.entries(texts)) { const e = field(input); if (e && (input !== 'project_name' || e.value.trim())) p[key] = e.value.trim(); }
    for (const key of ['budget_wan', 'fiscal_wan', 'other_wan']) {
      const e = field(key);
      if (!e) continue;
      if (!e.value.trim()) p[key] = null; else { const v = amount(e.value); if (v !== null) p[key] = v; }
    }
    const term = field('term');
    if (term) p.term = term.value === 'midterm' ? '中期' : '年度';
    return p;
  }
  function rows() {
    const out = [];
    form.querySelectorAll('tbody tr.target-row').forEach((tr) => {
      const i = tr.dataset.index;
      const removed = form.querySelector('input[name=remove][value="' + i + '"]');
      if (removed && removed.checked) return;
      const v = (n) => { const e = field('rows[' + i + '].' + n); return e ? e.value : null; };
      const row = JSON.parse(tr.dataset.row);
      for (const n of ['direction', 'target', 'unit', 'explanation']) { const x = v(n); if (x !== null) row[n] = x; }
      const name = v('name');
      if (name !== null && name.trim()) row.name = name.trim();
      const heading = v('heading');
      if (heading) {
        const [l1, l2] = heading.split('/');
        row.level1 = l1; row.level2 = l2;
        const cell = tr.querySelector('td.l1');
        if (cell) cell.textContent = l1;
      }
      const confirmed = field('rows[' + i + '].confirmed');
      if (confirmed && confirmed.type === 'checkbox') row.confirmed = confirmed.checked;
      out.push({ index: Number(i), row, tr });
    });
    return out;
  }
  // The 添加指标 box leaves out the indicators the table already holds (app.js sends these).
  const add = document.getElementById('add');
  function exclude(sent) {
    if (add) add.dataset.exclude = sent.map((s) => s.row.indicator).filter(Boolean).join(',');
  }
  exclude(rows());
  const label = (f) => (f.severity === 'error' ? '错误' : '提示');
  function show(findings, sent) {
    const errors = findings.filter((f) => f.severity === 'error').length;
    summary.textContent = '审核检查：' + (findings.length ? errors + ' 个错误，' + (findings.length - errors) + ' 个提示' : '未发现问题');
    form.querySelectorAll('tr.row-findings').forEach((tr) => { tr.hidden = true; tr.querySelector('ul').replaceChildren(); });
    form.querySelectorAll('tr.target-row').forEach((tr) => tr.classList.remove('has-findings'));
    const listed = [], rowListed = [];
    for (const f of findings) {
      const li = el('li', null, label(f));
      li.appendChild(el('strong', label(f)));
      const s = Number.isInteger(f.row) ? sent[f.row] : null;
      if (s) {
        li.appendChild(document.createTextNode(' '));
        const a = el('a', '第 ' + (s.index + 1) + ' 行“' + s.row.name + '”');
        a.href = '#row-' + s.index;
        li.appendChild(a);
        li.appendChild(document.createTextNode('：'));
        const beside = form.querySelector('tr.row-findings[data-for="' + s.index + '"]');
        if (beside) {
          const item = el('li', null, 'finding ' + label(f));
          item.appendChild(el('strong', label(f)));
          item.appendChild(document.createTextNode(' ' + (f.message || '') + '。'));
          item.appendChild(el('em', '建议：' + (f.fix || '')));
          beside.querySelector('ul').appendChild(item);
          beside.hidden = false;
          s.tr.classList.add('has-findings');
        }
      } else {
        li.appendChild(document.createTextNode(' '));
      }
      li.appendChild(document.createTextNode((f.message || '') + '。'));
      li.appendChild(el('em', '建议：' + (f.fix || '')));
      li.dataset.rule = f.rule || '';
      (s && byRow ? rowListed : listed).push(li);
    }
    general.replaceChildren(...listed);
    if (byRow) byRow.replaceChildren(...rowListed);
  }
  let timer = null, seq = 0;
  async function check() {
    const mine = ++seq;
    const sent = rows();
    exclude(sent);
    let r;
    try {
      r = await fetch('/api/v1/lint', {
        // A signed-in curator's session must prove the request comes from this page.
        method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': document.querySelector('meta[name=csrf-token]').content },
        body: JSON.stringify({ project: project(), rows: sent.map((s) => s.row) }),
      });
    } catch (_) { return; /* offline: saving still checks on the server */ }
    if (!r.ok || mine !== seq) return;
    const findings = (await r.json()).findings || [];
    if (mine !== seq) return;
    show(findings, sent);
  }
  const later = () => { clearTimeout(timer); timer = setTimeout(check, 200); };
  form.addEventListener('input', later);
  form.addEventListener('change', later);
})();
