//! The OpenAPI 3.1 document of the JSON API, served at `/api/v1/openapi.json`.
//!
//! Bodies and typed query strings come from the handlers' own types (`ToSchema`, `IntoParams`);
//! free-form answers are described as objects (the training answers are typed:
//! `training::answers`). Every operation also lists the error answers it
//! can give, all in the one shape `ErrorBody`. `tests/it/openapi.rs` checks that every
//! `/api/v1` route of the router is here with its methods, so a new route cannot be forgotten.

use super::error::ErrorBody;
use std::sync::LazyLock;
use utoipa::openapi::path::Operation;
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

/// The document, built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(ApiDoc::openapi);
    &DOC
}

/// `GET /api/v1/openapi.json`.
pub async fn serve() -> super::extract::Json<&'static utoipa::openapi::OpenApi> {
    super::extract::Json(document())
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "zhibiao 预算绩效指标库 API",
        description = "检索、浏览预算绩效指标，编制绩效目标申报表，导入评价结果，维护指标库。\
            错误一律为 `{\"error\": {\"code\": \"...\", \"message\": \"...\"}}`（code 为稳定的英文代码，message 为中文说明）。\
            写操作：未登录 401，角色不足 403；使用会话 Cookie 的调用须在 `X-CSRF-Token` 头携带 `GET /api/v1/me` 给出的令牌，\
            或改用个人 API 令牌（`Authorization: Bearer …`）。身份在读取任何参数或请求体之前检查。",
        version = "1"
    ),
    paths(
        ops::search, ops::suggest, ops::suggest_to_add, ops::indicator, ops::revisions, ops::compare, ops::stats_of,
        ops::project_types, ops::framework, ops::stats, ops::editions, ops::freeze, ops::edition,
        ops::edition_diff,
        ops::suggest_targets, ops::lint, ops::create_draft, ops::import_draft, ops::get_draft,
        ops::put_draft,
        ops::import_evaluations, ops::evaluations, ops::evaluation_project, ops::review,
        ops::decide, ops::candidates, ops::propose_candidate,
        ops::training_examples, ops::training_example, ops::create_training_session,
        ops::training_session, ops::training_summary, ops::attempt,
        ops::proposals, ops::propose, ops::approve_batch, ops::proposal, ops::approve,
        ops::reject, ops::withdraw, ops::fold, ops::import, ops::inbox,
        ops::login, ops::logout, ops::me, ops::token, ops::users, ops::add_user, ops::audit,
        ops::openapi,
    ),
    components(schemas(ErrorBody)),
    modifiers(&ErrorsAndSecurity),
    tags(
        (name = "search", description = "检索与指标库（匿名可用）"),
        (name = "drafting", description = "绩效目标申报表（匿名可用，草稿以不可猜测的链接保存）"),
        (name = "evaluations", description = "评价结果导入、匹配复核、统计"),
        (name = "training", description = "培训课程与练习"),
        (name = "curation", description = "指标库维护：提案、审核、版本、批量导入（需登录）"),
        (name = "accounts", description = "登录、令牌、用户与审计日志"),
        (name = "meta", description = "本 API 的说明"),
    )
)]
struct ApiDoc;

/// Adds the security schemes, and to every operation the error answers it can give (in the
/// `ErrorBody` shape): 400, 404 and 500 everywhere; 401 and 403 where a role is needed; 413,
/// 415 and 422 where a body is read; 403 `csrf_failed` and 429 on writes.
struct ErrorsAndSecurity;

impl Modify for ErrorsAndSecurity {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("个人 API 令牌（/account 或 `zhibiao user token`）"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                super::auth::SESSION_COOKIE,
                "POST /api/v1/session 得到的会话；写操作另需 X-CSRF-Token 头",
            ))),
        );
        for item in doc.paths.paths.values_mut() {
            let write = [
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in write.into_iter().flatten() {
                add_errors(op, true);
            }
            for op in [&mut item.get, &mut item.head].into_iter().flatten() {
                add_errors(op, false);
            }
        }
    }
}

fn add_errors(op: &mut Operation, write: bool) {
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let body = op.request_body.is_some();
    let mut errors = vec![
        ("400", "请求无效（参数、路径或请求体）"),
        ("404", "对象不存在"),
        ("500", "服务器内部错误"),
    ];
    if secured {
        errors.push(("401", "未登录（需要会话或 API 令牌）"));
        errors.push((
            "403",
            "角色不足，或会话调用缺少 X-CSRF-Token（csrf_failed）",
        ));
    } else if write {
        errors.push(("403", "会话调用缺少 X-CSRF-Token（csrf_failed）"));
    }
    if body {
        errors.push(("413", "请求体超过上限（16 MiB 或该接口更小的上限）"));
        errors.push(("415", "请求内容类型（Content-Type）不对"));
        errors.push(("422", "内容不符合规则"));
    }
    if write {
        errors.push(("429", "请求过于频繁"));
    }
    for (status, description) in errors {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(error_response(description)));
    }
    if let Some(RequestBody { required, .. }) = &mut op.request_body
        && required.is_none()
    {
        *required = Some(utoipa::openapi::Required::True);
    }
}

fn error_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}

/// One stub per operation: `#[utoipa::path]` needs a function to hang on, and the route table
/// (`super::router`) stays one readable list. The types named here are the handlers' own.
#[expect(
    dead_code,
    reason = "the stubs only carry the operations' descriptions"
)]
mod ops {
    use super::super::account::{AuditQuery, LoginForm};
    use super::super::curation::{
        CompareQuery, Decision, FoldBody, FreezeBody, ImportQuery, ListQuery,
    };
    use super::super::draft_page::DraftBody;
    use super::super::error::ErrorBody;
    use super::super::evaluations::DecisionBody;
    use super::super::training::SessionBody;
    use crate::accounts::NewUser;
    use crate::curation::request::NewProposal;
    use crate::training::answers::{
        AttemptAnswer, ExampleAnswer, ExamplesAnswer, SessionAnswer, SummaryAnswer,
    };

    // ---- search and the library (anonymous) ----

    #[utoipa::path(get, path = "/api/v1/search", tag = "search",
        summary = "检索指标（分词、连续字、同义词、拼音、繁体）",
        params(
            ("q" = Option<String>, Query, description = "检索词，最多 200 字"),
            ("limit" = Option<u32>, Query, description = "每页条数 1–100，默认 10"),
            ("offset" = Option<u32>, Query, description = "跳过的条数"),
            ("project_type" = Option<String>, Query, description = "项目类型编码（见 /api/v1/project-types）"),
            ("level1" = Option<String>, Query, description = "一级指标"),
            ("level2" = Option<String>, Query, description = "二级指标"),
            ("sector" = Option<String>, Query, description = "行业领域"),
            ("scope" = Option<String>, Query, description = "共性 或 个性"),
            ("core" = Option<bool>, Query, description = "只要核心指标（1/true）"),
            ("explain" = Option<bool>, Query, description = "附上评分说明"),
            ("facets" = Option<bool>, Query, description = "附上分面计数"),
        ),
        responses((status = 200, description = "命中的指标，`name_html` 与 `snippet` 为服务器转义后的 HTML（仅含 <mark>）", body = Value)))]
    fn search() {}

    #[utoipa::path(get, path = "/api/v1/suggest", tag = "search", summary = "输入提示",
        params(
            ("q" = Option<String>, Query, description = "已输入的部分"),
            ("limit" = Option<u32>, Query, description = "条数，默认 8"),
        ),
        responses((status = 200, description = "提示", body = Value)))]
    fn suggest() {}

    #[utoipa::path(get, path = "/api/v1/drafting/suggest", tag = "drafting", summary = "申报表“添加指标”的输入提示：本项目类型的指标在前，不含表中已有的指标",
        params(
            ("q" = Option<String>, Query, description = "已输入的部分"),
            ("type" = Option<String>, Query, description = "草稿的项目类型编码"),
            ("exclude" = Option<String>, Query, description = "表中已有的指标编码，逗号分隔（最多 500 个）"),
            ("limit" = Option<u32>, Query, description = "条数，默认 8，最多 20"),
        ),
        responses((status = 200, description = "提示", body = Value)))]
    fn suggest_to_add() {}

    #[utoipa::path(get, path = "/api/v1/indicators/{code}", tag = "search", summary = "一个指标的全部字段与修订记录",
        params(("code" = String, Path, description = "指标编码")),
        responses((status = 200, description = "指标", body = Value)))]
    fn indicator() {}

    #[utoipa::path(get, path = "/api/v1/indicators/{code}/revisions", tag = "search", summary = "修订记录",
        params(("code" = String, Path, description = "指标编码")),
        responses((status = 200, description = "修订记录", body = Value)))]
    fn revisions() {}

    #[utoipa::path(get, path = "/api/v1/indicators/{code}/compare", tag = "search", summary = "比较两个修订版本",
        params(("code" = String, Path, description = "指标编码"), CompareQuery),
        responses((status = 200, description = "逐字段差异", body = Value)))]
    fn compare() {}

    #[utoipa::path(get, path = "/api/v1/indicators/{code}/stats", tag = "evaluations", summary = "指标在评价结果中的使用统计",
        params(("code" = String, Path, description = "指标编码")),
        responses((status = 200, description = "统计与参考值", body = Value)))]
    fn stats_of() {}

    #[utoipa::path(get, path = "/api/v1/project-types", tag = "search", summary = "项目类型",
        responses((status = 200, description = "按分组列出的项目类型", body = Value)))]
    fn project_types() {}

    #[utoipa::path(get, path = "/api/v1/framework", tag = "search", summary = "指标体系与计量单位",
        responses((status = 200, description = "指标体系", body = Value)))]
    fn framework() {}

    #[utoipa::path(get, path = "/api/v1/stats", tag = "search", summary = "指标库统计",
        responses((status = 200, description = "覆盖统计", body = Value)))]
    fn stats() {}

    #[utoipa::path(get, path = "/api/v1/editions", tag = "search", summary = "已冻结的版本",
        responses((status = 200, description = "版本列表", body = Value)))]
    fn editions() {}

    #[utoipa::path(post, path = "/api/v1/editions", tag = "curation", summary = "冻结当前发布状态为一个版本",
        description = "需要“管理员”角色",
        request_body(content = FreezeBody, example = json!({ "name": "2026.3" })),
        security(("token" = []), ("session" = [])),
        responses((status = 201, description = "版本与发布说明", body = Value), (status = 409, description = "版本名已存在", body = ErrorBody)))]
    fn freeze() {}

    #[utoipa::path(get, path = "/api/v1/editions/{name}", tag = "search", summary = "一个版本与其发布说明",
        params(("name" = String, Path, description = "版本名")),
        responses((status = 200, description = "版本", body = Value)))]
    fn edition() {}

    #[utoipa::path(get, path = "/api/v1/editions/{a}/diff/{b}", tag = "search", summary = "比较两个版本",
        params(("a" = String, Path, description = "旧版本"), ("b" = String, Path, description = "新版本")),
        responses((status = 200, description = "差异", body = Value)))]
    fn edition_diff() {}

    // ---- drafting (anonymous) ----

    #[utoipa::path(post, path = "/api/v1/suggest-targets", tag = "drafting", summary = "按项目推荐绩效目标表",
        request_body(content = Value, description = "项目：project_name（必填）、description、project_type、budget_wan、term",
            example = json!({ "project_name": "城区道路维修改造", "description": "维修主干道 3 公里", "budget_wan": 500.0 })),
        responses((status = 200, description = "推断的项目类型与各二级指标下的推荐", body = Value)))]
    fn suggest_targets() {}

    #[utoipa::path(post, path = "/api/v1/lint", tag = "drafting", summary = "按审核规则检查一张表",
        request_body(content = DraftBody, example = json!({
            "project": { "name": "城区道路维修改造", "term": "年度" },
            "rows": [{ "level1": "产出指标", "level2": "数量指标", "name": "道路维修长度", "direction": "≥", "target": "3", "unit": "公里" }]
        })),
        responses((status = 200, description = "审核意见", body = Value)))]
    fn lint() {}

    #[utoipa::path(post, path = "/api/v1/drafts", tag = "drafting", summary = "新建申报表草稿",
        request_body(content = Value, description = "项目：project_name（必填）、description、project_type、budget_wan、term",
            example = json!({ "project_name": "城区道路维修改造", "description": "维修主干道 3 公里" })),
        responses((status = 201, description = "草稿与其链接", body = Value)))]
    fn create_draft() {}

    #[utoipa::path(post, path = "/api/v1/drafts/import", tag = "drafting", summary = "从 .xlsx 申报表新建草稿",
        request_body(content = [u8], content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        responses((status = 201, description = "草稿", body = Value)))]
    fn import_draft() {}

    #[utoipa::path(get, path = "/api/v1/drafts/{id}", tag = "drafting", summary = "一份草稿与其审核意见",
        params(("id" = String, Path, description = "草稿编号（链接中的不可猜测部分）")),
        responses((status = 200, description = "草稿", body = Value)))]
    fn get_draft() {}

    #[utoipa::path(put, path = "/api/v1/drafts/{id}", tag = "drafting", summary = "保存草稿",
        params(("id" = String, Path, description = "草稿编号")),
        request_body(content = DraftBody, example = json!({
            "project": { "name": "城区道路维修改造", "term": "年度" },
            "rows": [{ "level1": "产出指标", "level2": "数量指标", "name": "道路维修长度", "direction": "≥", "target": "3", "unit": "公里" }]
        })),
        responses((status = 200, description = "保存后的草稿", body = Value)))]
    fn put_draft() {}

    // ---- evaluations ----

    #[utoipa::path(post, path = "/api/v1/evaluations/import", tag = "evaluations", summary = "导入自评表",
        description = "需要“编辑”或更高角色。文件（.xlsx、CSV 或 JSON）为请求体；整份文件全部导入或全部不导入。",
        params(
            ("dry_run" = Option<bool>, Query, description = "true 只检查不写入"),
            ("file" = Option<String>, Query, description = "文件名（报告中显示）"),
            ("x-file-name" = Option<String>, Header, description = "文件名（URL 编码），无 file 参数时使用"),
        ),
        request_body(content = [u8], content_type = "application/octet-stream"),
        security(("token" = []), ("session" = [])),
        responses(
            (status = 201, description = "已写入", body = Value),
            (status = 200, description = "试运行，或此文件已导入过", body = Value),
        ))]
    fn import_evaluations() {}

    #[utoipa::path(get, path = "/api/v1/evaluations", tag = "evaluations", summary = "已导入的项目",
        params(
            ("year" = Option<i32>, Query, description = "年度"),
            ("type" = Option<String>, Query, description = "项目类型编码或名称（也可用 project_type）"),
            ("grade" = Option<String>, Query, description = "评价等级：优、良、中、差"),
            ("limit" = Option<u32>, Query, description = "条数 1–1000，默认 100"),
            ("offset" = Option<u32>, Query, description = "跳过的条数"),
        ),
        responses((status = 200, description = "项目", body = Value)))]
    fn evaluations() {}

    #[utoipa::path(get, path = "/api/v1/evaluations/projects/{id}", tag = "evaluations", summary = "一个项目的各行、匹配与来源",
        params(("id" = String, Path, description = "项目编号")),
        responses((status = 200, description = "项目", body = Value)))]
    fn evaluation_project() {}

    #[utoipa::path(get, path = "/api/v1/evaluations/review", tag = "evaluations", summary = "待复核的匹配",
        description = "需要“编辑”或更高角色",
        security(("token" = []), ("session" = [])),
        responses((status = 200, description = "待复核的行", body = Value)))]
    fn review() {}

    #[utoipa::path(post, path = "/api/v1/evaluations/decisions", tag = "evaluations", summary = "复核一行的匹配",
        description = "需要“编辑”或更高角色",
        request_body(content = DecisionBody, example = json!({ "project_id": "2025-某单位-某项目", "index": 0, "action": "confirm" })),
        security(("token" = []), ("session" = [])),
        responses((status = 200, description = "更新后的行", body = Value)))]
    fn decide() {}

    #[utoipa::path(get, path = "/api/v1/evaluations/candidates", tag = "evaluations", summary = "从未匹配行归纳的候选新指标",
        responses((status = 200, description = "候选", body = Value)))]
    fn candidates() {}

    #[utoipa::path(post, path = "/api/v1/evaluations/candidates/{id}/propose", tag = "evaluations", summary = "把候选指标提为新建提案",
        description = "需要“编辑”或更高角色",
        params(("id" = String, Path, description = "候选编号")),
        security(("token" = []), ("session" = [])),
        responses((status = 201, description = "提案", body = Value)))]
    fn propose_candidate() {}

    // ---- training ----

    #[utoipa::path(get, path = "/api/v1/training/examples", tag = "training", summary = "各项目类型的示例",
        responses((status = 200, description = "示例", body = ExamplesAnswer)))]
    fn training_examples() {}

    #[utoipa::path(get, path = "/api/v1/training/examples/{project_type}", tag = "training", summary = "一个项目类型的示例",
        params(("project_type" = String, Path, description = "项目类型编码")),
        responses((status = 200, description = "示例（含审核批注）", body = ExampleAnswer)))]
    fn training_example() {}

    #[utoipa::path(post, path = "/api/v1/training/sessions", tag = "training", summary = "新建培训课程",
        description = "需要“编辑”或更高角色",
        request_body(content = SessionBody, example = json!({ "title": "绩效目标编制培训", "items": [{ "kind": "framework", "part": "levels" }] })),
        security(("token" = []), ("session" = [])),
        responses((status = 201, description = "课程", body = SessionAnswer)))]
    fn create_training_session() {}

    #[utoipa::path(get, path = "/api/v1/training/sessions/{id}", tag = "training", summary = "一个培训课程",
        params(("id" = String, Path, description = "课程编号")),
        responses((status = 200, description = "课程", body = SessionAnswer)))]
    fn training_session() {}

    #[utoipa::path(get, path = "/api/v1/training/sessions/{id}/summary", tag = "training", summary = "课堂汇总（匿名）",
        description = "需要“编辑”或更高角色（课程创建人或管理员）",
        params(("id" = String, Path, description = "课程编号")),
        security(("token" = []), ("session" = [])),
        responses((status = 200, description = "各练习的汇总", body = SummaryAnswer)))]
    fn training_summary() {}

    #[utoipa::path(post, path = "/api/v1/training/exercises/{code}/attempts", tag = "training", summary = "提交一次练习",
        params(("code" = String, Path, description = "6 位练习码")),
        request_body(content = DraftBody, example = json!({
            "project": { "name": "练习", "term": "年度" },
            "rows": [{ "level1": "产出指标", "level2": "数量指标", "name": "道路维修长度", "direction": "≥", "target": "3", "unit": "公里" }]
        })),
        responses((status = 201, description = "审核意见与参考答案的比较", body = AttemptAnswer)))]
    fn attempt() {}

    // ---- curation ----

    #[utoipa::path(get, path = "/api/v1/proposals", tag = "curation", summary = "提案列表",
        description = "需要“编辑”或更高角色",
        params(ListQuery),
        security(("token" = []), ("session" = [])),
        responses((status = 200, description = "提案", body = Value)))]
    fn proposals() {}

    #[utoipa::path(post, path = "/api/v1/proposals", tag = "curation", summary = "提交提案（新建、修改、停用、合并、恢复）",
        description = "需要“编辑”或更高角色。修改（edit）时 indicator 只含要改的字段。",
        request_body(content = NewProposal, example = json!({
            "kind": "edit", "code": "JZ-001", "indicator": { "target": "12500" }, "reason": "按上年实际上调目标"
        })),
        security(("token" = []), ("session" = [])),
        responses((status = 201, description = "提案", body = Value), (status = 409, description = "该指标已有待审提案", body = ErrorBody)))]
    fn propose() {}

    #[utoipa::path(post, path = "/api/v1/proposals/approve", tag = "curation", summary = "在一个事务中批准多个提案",
        description = "需要“审核”或更高角色",
        request_body(content = Decision, example = json!({ "ids": [1, 2], "comment": "同意" })),
        security(("token" = []), ("session" = [])),
        responses((status = 200, description = "发布的修订", body = Value), (status = 409, description = "基准修订已变化", body = ErrorBody)))]
    fn approve_batch() {}

    #[utoipa::path(get, path = "/api/v1/proposals/{id}", tag = "curation", summary = "一个提案与逐字段差异",
        description = "需要“编辑”或更高角色",
        params(("id" = String, Path, description = "提案编号（P12 或 12）")),
        security(("token" = []), ("session" = [])),
        responses((status = 200, description = "提案", body = Value)))]
    fn proposal() {}

    #[utoipa::path(post, path = "/api/v1/proposals/{id}/approve", tag = "curation", summary = "批准提案",
        description = "需要“审核”或更高角色；不能批准自己的提案。请求体可省略。",
        params(("id" = String, Path, description = "提案编号")),
        request_body(content = Decision, example = json!({ "comment": "同意" })),
        security(("token" = []), ("session" = [])),
        responses((status = 200, description = "发布的修订", body = Value), (status = 409, description = "基准修订已变化或提案已处理", body = ErrorBody)))]
    fn approve() {}

    #[utoipa::path(post, path = "/api/v1/proposals/{id}/reject", tag = "curation", summary = "退回提案",
        description = "需要“审核”或更高角色。请求体可省略。",
        params(("id" = String, Path, description = "提案编号")),
        request_body(content = Decision, example = json!({ "comment": "口径不清" })),
        security(("token" = []), ("session" = [])),
        responses((status = 200, description = "提案", body = Value)))]
    fn reject() {}

    #[utoipa::path(post, path = "/api/v1/proposals/{id}/withdraw", tag = "curation", summary = "撤回自己的提案",
        description = "需要“编辑”或更高角色",
        params(("id" = String, Path, description = "提案编号")),
        security(("token" = []), ("session" = [])),
        responses((status = 200, description = "提案", body = Value)))]
    fn withdraw() {}

    #[utoipa::path(post, path = "/api/v1/proposals/{id}/fold", tag = "curation", summary = "把新建提案并为已有指标的别名",
        description = "需要“编辑”或更高角色",
        params(("id" = String, Path, description = "提案编号")),
        request_body(content = FoldBody, example = json!({ "into": "JZ-001" })),
        security(("token" = []), ("session" = [])),
        responses((status = 201, description = "新的修改提案", body = Value)))]
    fn fold() {}

    #[utoipa::path(post, path = "/api/v1/import", tag = "curation", summary = "批量导入指标（.xlsx 或 CSV）",
        description = "需要“编辑”或更高角色。文件为请求体；试运行给出逐行逐格的报告，正式导入打开一个批量提案。",
        params(ImportQuery),
        request_body(content = [u8], content_type = "application/octet-stream"),
        security(("token" = []), ("session" = [])),
        responses(
            (status = 200, description = "试运行报告", body = Value),
            (status = 201, description = "已打开批量提案", body = Value),
        ))]
    fn import() {}

    #[utoipa::path(get, path = "/api/v1/inbox", tag = "curation", summary = "待审提案与无结果的检索",
        description = "需要“编辑”或更高角色",
        security(("token" = []), ("session" = [])),
        responses((status = 200, description = "收件箱", body = Value)))]
    fn inbox() {}

    // ---- accounts ----

    #[utoipa::path(post, path = "/api/v1/session", tag = "accounts", summary = "登录，得到会话 Cookie 与 CSRF 令牌",
        request_body(content = LoginForm, example = json!({ "name": "zhang", "password": "……" })),
        responses(
            (status = 200, description = "用户、角色与 csrf", body = Value),
            (status = 401, description = "用户名或密码错误", body = ErrorBody),
        ))]
    fn login() {}

    #[utoipa::path(delete, path = "/api/v1/session", tag = "accounts", summary = "退出登录",
        responses((status = 204, description = "已退出")))]
    fn logout() {}

    #[utoipa::path(get, path = "/api/v1/me", tag = "accounts", summary = "当前调用者与其 CSRF 令牌",
        responses((status = 200, description = "用户（匿名时为 null）与 csrf", body = Value)))]
    fn me() {}

    #[utoipa::path(post, path = "/api/v1/tokens", tag = "accounts", summary = "生成（替换）个人 API 令牌",
        description = "需要“编辑”或更高角色；令牌只显示一次",
        security(("token" = []), ("session" = [])),
        responses((status = 201, description = "令牌", body = Value)))]
    fn token() {}

    #[utoipa::path(get, path = "/api/v1/users", tag = "accounts", summary = "用户列表",
        description = "需要“管理员”角色",
        security(("token" = []), ("session" = [])),
        responses((status = 200, description = "用户", body = Value)))]
    fn users() {}

    #[utoipa::path(post, path = "/api/v1/users", tag = "accounts", summary = "新建用户，或修改角色、密码、显示名",
        description = "需要“管理员”角色",
        request_body(content = NewUser, example = json!({ "name": "li", "display": "李四（预算科）", "role": "编辑", "password": "至少 10 个字符的密码" })),
        security(("token" = []), ("session" = [])),
        responses((status = 201, description = "用户", body = Value)))]
    fn add_user() {}

    #[utoipa::path(get, path = "/api/v1/audit", tag = "accounts", summary = "审计日志（新的在前；format=csv 导出全部）",
        description = "需要“管理员”角色",
        params(AuditQuery),
        security(("token" = []), ("session" = [])),
        responses(
            (status = 200, description = "审计记录（JSON，或 format=csv 时为 CSV 文件）", body = Value),
        ))]
    fn audit() {}

    #[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", summary = "本文档",
        responses((status = 200, description = "OpenAPI 3.1 文档", body = Value)))]
    fn openapi() {}
}
