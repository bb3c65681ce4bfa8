//! Standards calculators (GB 18218, GB/T 50107, JGJ 59, LEC, LS): no login,
//! nothing read or stored, rate-limited per client address. Each handler
//! calls one pure function of `anjian_domain::calc`; its field errors become
//! 422 with the field's JSON path.

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use anjian_app::AppError;
use anjian_domain::calc::{gb18218, gb50107, jgj59, risk};
use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Rejects a client over its per-minute calculator budget.
fn limit(s: &AppState, req: &Request) -> ApiResult<()> {
    let ip = super::public::client_ip(s, req);
    if s.calc_limiter.check_key(&ip).is_err() {
        return Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "计算请求过于频繁，请稍后再试"));
    }
    Ok(())
}

/// Reads the JSON body after the rate limit, so a refused client costs no parsing.
async fn body<T: serde::de::DeserializeOwned>(s: &AppState, req: Request) -> ApiResult<T> {
    limit(s, &req)?;
    let ApiJson(v) = <ApiJson<T> as axum::extract::FromRequest<AppState>>::from_request(req, s).await?;
    Ok(v)
}

fn ok<T: Serialize>(r: Result<T, anjian_domain::FieldError>) -> ApiResult<Json<T>> {
    r.map(Json).map_err(|e| ApiError::from(AppError::from(e)))
}

/// GB 18218-2018: is a unit a major hazard source of hazardous chemicals, and
/// its grade. A substance not in table 1 gives `critical_t` and `beta`, or `class`.
#[utoipa::path(post, path = "/api/v1/calc/gb18218", tag = "calc",
    request_body(content = Value, description = "`{\"substances\":[{\"name\",\"quantity_t\",\"critical_t\"?,\"beta\"?,\"class\"?}],\"exposed_people\"}`",
        example = json!({"substances": [{"name": "氯", "quantity_t": 5.0}], "exposed_people": 0})),
    responses((status = 200, description = "`{s, is_major, alpha, r, grade, grade_label, substances:[…]}`; `r`/`grade` null when not major",
        body = Value, example = json!({"standard": "GB 18218-2018", "s": 1.0, "is_major": true, "alpha": 0.5, "r": 2.0, "grade": 4, "grade_label": "四级"})),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(()))]
pub async fn gb18218(State(s): State<AppState>, req: Request) -> ApiResult<Json<gb18218::Gb18218Output>> {
    let input: gb18218::Gb18218Input = body(&s, req).await?;
    ok(gb18218::assess(&input))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SubstanceQuery {
    /// Part of a name, alias or CAS number; empty: the whole table.
    pub q: Option<String>,
}

/// GB 18218-2018 table 1: named substances with aliases, CAS numbers and critical quantities.
#[utoipa::path(get, path = "/api/v1/calc/gb18218/substances", tag = "calc", params(SubstanceQuery),
    responses((status = 200, body = Value, description = "`{\"standard\",\"items\":[{\"no\",\"name\",\"aliases\",\"cas\",\"critical_t\",…}]}`")),
    security(()))]
pub async fn substances(ApiQuery(q): ApiQuery<SubstanceQuery>) -> Json<Value> {
    let table = gb18218::Gb18218Table::standard();
    let items: Vec<&gb18218::Substance> = match q.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        Some(q) => table.search(q),
        None => gb18218::substances().iter().collect(),
    };
    Json(serde_json::json!({"standard": table.version, "items": items}))
}

/// GB/T 50107-2010: acceptance of a batch of concrete by cube strength.
#[utoipa::path(post, path = "/api/v1/calc/gb50107", tag = "calc",
    request_body(content = Value, description = "`{\"grade\":\"C25\",\"specimen_mm\":150,\"groups\":[[f1,f2,f3],…],\"sigma0\":null}`",
        example = json!({"grade": "C25", "specimen_mm": 150, "groups": [[24.1, 25.0, 23.8], [26.0, 27.1, 25.5], [30.0, 24.0, 25.0]], "sigma0": null})),
    responses((status = 200, description = "`{group_values, invalid_groups, method, mean, sd, limits, pass, failed}`", body = Value),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(()))]
pub async fn gb50107(State(s): State<AppState>, req: Request) -> ApiResult<Json<gb50107::Gb50107Output>> {
    let input: gb50107::Gb50107Input = body(&s, req).await?;
    ok(gb50107::assess(&input))
}

/// JGJ 59-2011: a construction site's safety inspection score and grade.
#[utoipa::path(post, path = "/api/v1/calc/jgj59", tag = "calc",
    request_body(content = Value, description = "`{\"tables\":[{\"name\":\"安全管理\",\"items\":[{\"points\",\"deduction\",\"guarantee\",\"applicable\"}]}]}`",
        example = json!({"tables": [{"name": "安全管理", "items": [{"points": 10, "deduction": 2.0, "guarantee": true, "applicable": true}]}]})),
    responses((status = 200, description = "`{total, grade: 优良|合格|不合格, tables:[{name, score, zeroed}]}`", body = Value),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(()))]
pub async fn jgj59(State(s): State<AppState>, req: Request) -> ApiResult<Json<jgj59::Jgj59Output>> {
    let input: jgj59::Jgj59Input = body(&s, req).await?;
    ok(jgj59::assess(&input))
}

/// LEC (作业条件危险性分析): D = L × E × C and its level.
#[utoipa::path(post, path = "/api/v1/calc/lec", tag = "calc",
    request_body(content = Value, example = json!({"l": 6, "e": 6, "c": 3})),
    responses((status = 200, body = Value, example = json!({"d": 108, "level": "显著危险", "color": "yellow"})),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(()))]
pub async fn lec(State(s): State<AppState>, req: Request) -> ApiResult<Json<risk::LecOutput>> {
    let input: risk::LecInput = body(&s, req).await?;
    ok(risk::lec(&input, &risk::LecBands::default()))
}

/// LS risk matrix (风险矩阵): R = L × S and its level.
#[utoipa::path(post, path = "/api/v1/calc/ls", tag = "calc",
    request_body(content = Value, example = json!({"l": 4, "s": 5})),
    responses((status = 200, body = Value, example = json!({"r": 20, "level": "重大", "color": "red"})),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(()))]
pub async fn ls(State(s): State<AppState>, req: Request) -> ApiResult<Json<risk::LsOutput>> {
    let input: risk::LsInput = body(&s, req).await?;
    ok(risk::ls(&input, &risk::LsBands::default()))
}
