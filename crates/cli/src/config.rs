//! Typed configuration: defaults < TOML file (`--config` / `ANJIAN_CONFIG`)
//! < `ANJIAN_*` environment variables < command-line flags.

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Clone, Serialize, Deserialize)]
pub struct Config {
    /// Address to listen on, e.g. `127.0.0.1:8080`.
    pub listen: String,
    /// `sqlite://path` or `postgres://…`; default `sqlite://<data_dir>/anjian.db`.
    pub database: Option<String>,
    /// Where the SQLite database, secret key and attachments live.
    pub data_dir: PathBuf,
    /// 64 hex characters; default: generated once into `<data_dir>/secret.key`.
    pub secret_key: Option<String>,
    /// Mark the session cookie `Secure`.
    pub cookie_secure: bool,
    /// tracing filter, e.g. `info,anjian=debug`.
    pub log: String,
    /// Anonymous (public) reports accepted per client IP per minute.
    pub public_reports_per_minute: u32,
    /// Calculator requests (`/api/v1/calc/…`, no login) accepted per client IP per minute.
    pub calc_per_minute: u32,
    /// Take the client IP from X-Forwarded-For (only behind a trusted proxy).
    pub trust_forwarded: bool,
    /// The public base URL (`https://…`) that concrete tickets' QR codes point at;
    /// none: the host of the request that fetches the QR code.
    pub public_url: Option<String>,
    /// URLs that receive every notification as JSON (WeCom/DingTalk bridges, SMS gateways…).
    pub webhooks: Vec<String>,
    /// SMS gateway: `POST` JSON `{"id","to","text"}` per text; none: no SMS.
    pub sms_url: Option<String>,
    /// Bearer token for the SMS gateway.
    pub sms_token: Option<String>,
    /// Notification kinds that are texted; empty: dispatch, listed, reminder, escalation, alarm.
    pub sms_kinds: Vec<String>,
    /// SMS signature (短信签名), shown as 【…】.
    pub sms_signature: String,
    /// MQTT broker for device readings, e.g. `mqtt://127.0.0.1:1883`; none: HTTP ingest only.
    pub mqtt_url: Option<String>,
    /// MQTT client id: keep it stable, the broker keeps undelivered readings under it.
    pub mqtt_client_id: String,
    /// Topic prefix: devices publish to `<prefix>/devices/<device_id>/readings`.
    pub mqtt_prefix: String,
    /// Raw device readings are kept this many days; the rollups stay.
    pub readings_retention_days: u32,
    /// Minute rollups are kept this many days (once their hour is sealed); hour rollups stay.
    pub minute_rollups_retention_days: u32,
    /// Seconds between offline-detection passes.
    pub offline_check_s: u64,
    /// The evidence ledger's origin line (its name), e.g. `ajj.example.gov.cn/ledger`;
    /// used when the ledger key is first created. Default: `anjian.local/ledger/<random>`.
    pub ledger_origin: Option<String>,
    /// Verifier keys of witnesses whose cosignatures the ledger accepts.
    pub ledger_witnesses: Vec<String>,
    /// OpenAI-compatible chat-completions endpoint that may rewrite the narrative of
    /// periodic reports (e.g. `https://llm.example/v1`); none: rule-based text only.
    pub llm_url: Option<String>,
    /// The model name sent to `llm_url`.
    pub llm_model: Option<String>,
    /// Bearer token for `llm_url`.
    pub llm_token: Option<String>,
    /// Seconds to wait for the language model before falling back to the rule-based text.
    pub llm_timeout_s: u64,
    /// A font file (or `file#index` in a collection) for characters the bundled
    /// font subset lacks, e.g. a full Noto Sans CJK SC.
    pub pdf_font: Option<String>,
    /// The bold face for `pdf_font` (default: `pdf_font` itself).
    pub pdf_font_bold: Option<String>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database", &self.database.as_deref().map(redact_url))
            .field("data_dir", &self.data_dir)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "<hidden>"))
            .field("cookie_secure", &self.cookie_secure)
            .field("log", &self.log)
            .field("public_reports_per_minute", &self.public_reports_per_minute)
            .field("calc_per_minute", &self.calc_per_minute)
            .field("trust_forwarded", &self.trust_forwarded)
            .field("public_url", &self.public_url)
            .field("webhooks", &self.webhooks.len())
            .field("sms_url", &self.sms_url)
            .field("sms_token", &self.sms_token.as_ref().map(|_| "<hidden>"))
            .field("sms_kinds", &self.sms_kinds)
            .field("mqtt_url", &self.mqtt_url)
            .field("readings_retention_days", &self.readings_retention_days)
            .field("minute_rollups_retention_days", &self.minute_rollups_retention_days)
            .field("offline_check_s", &self.offline_check_s)
            .field("ledger_origin", &self.ledger_origin)
            .field("ledger_witnesses", &self.ledger_witnesses.len())
            .field("llm_url", &self.llm_url)
            .field("llm_model", &self.llm_model)
            .field("llm_token", &self.llm_token.as_ref().map(|_| "<hidden>"))
            .field("llm_timeout_s", &self.llm_timeout_s)
            .field("pdf_font", &self.pdf_font)
            .field("pdf_font_bold", &self.pdf_font_bold)
            .finish()
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            database: None,
            data_dir: PathBuf::from("data"),
            secret_key: None,
            cookie_secure: true,
            log: "info".into(),
            public_reports_per_minute: 10,
            calc_per_minute: 600,
            trust_forwarded: false,
            public_url: None,
            webhooks: vec![],
            sms_url: None,
            sms_token: None,
            sms_kinds: vec![],
            sms_signature: "安监".into(),
            mqtt_url: None,
            mqtt_client_id: "anjian-server".into(),
            mqtt_prefix: "anjian".into(),
            readings_retention_days: 90,
            minute_rollups_retention_days: 365,
            offline_check_s: 30,
            ledger_origin: None,
            ledger_witnesses: vec![],
            llm_url: None,
            llm_model: None,
            llm_token: None,
            llm_timeout_s: 30,
            pdf_font: None,
            pdf_font_bold: None,
        }
    }
}

/// Flags that override the file and the environment when given.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
}

impl Config {
    pub fn load(file: Option<&Path>, o: &Overrides) -> anyhow::Result<Config> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        let file = file.map(Path::to_path_buf).or_else(|| std::env::var_os("ANJIAN_CONFIG").map(PathBuf::from));
        if let Some(f) = &file {
            if !f.exists() {
                bail!("配置文件不存在: {}", f.display());
            }
            fig = fig.merge(Toml::file(f));
        }
        let cfg: Config = fig
            .merge(Env::prefixed("ANJIAN_").ignore(&["config"]))
            .merge(Serialized::defaults(o))
            .extract()
            .context("配置无效")?;
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> anyhow::Result<()> {
        self.listen
            .parse::<std::net::SocketAddr>()
            .with_context(|| format!("listen 地址无效: {}（应如 127.0.0.1:8080）", self.listen))?;
        if let Some(db) = &self.database {
            anjian_store::Backend::from_url(db).map_err(|e| anyhow::anyhow!("database: {e}"))?;
        }
        if let Some(u) = &self.public_url
            && !(u.starts_with("https://") || u.starts_with("http://"))
        {
            anyhow::bail!("public_url 应以 https:// 或 http:// 开头: {u}");
        }
        if self.public_reports_per_minute == 0 {
            anyhow::bail!("public_reports_per_minute 必须大于 0");
        }
        if self.calc_per_minute == 0 {
            anyhow::bail!("calc_per_minute 必须大于 0");
        }
        if let Some(k) = &self.secret_key {
            anjian_app::crypto::Secrets::from_hex(k).map_err(|e| anyhow::anyhow!("secret_key: {e}"))?;
        }
        self.outbound()?.validate().map_err(|e| anyhow::anyhow!("webhooks/sms: {e}"))?;
        if !(1..=3650).contains(&self.readings_retention_days) {
            bail!("readings_retention_days: 应为 1 到 3650 天");
        }
        if !(1..=3650).contains(&self.minute_rollups_retention_days) {
            bail!("minute_rollups_retention_days: 应为 1 到 3650 天");
        }
        if !(1..=3600).contains(&self.offline_check_s) {
            bail!("offline_check_s: 应为 1 到 3600 秒");
        }
        if let Some(u) = &self.mqtt_url {
            anjian_ingest::MqttConfig::from_url(u, &self.mqtt_client_id, &self.mqtt_prefix)
                .map_err(|e| anyhow::anyhow!("mqtt_url: {e}"))?;
        }
        for (i, w) in self.ledger_witnesses.iter().enumerate() {
            if anjian_ledger::CosignatureVerifier::from_vkey(w).is_err()
                && anjian_ledger::NoteVerifier::from_vkey(w).is_err()
            {
                bail!("ledger_witnesses[{i}] 不是有效的见证方公钥（signed-note vkey）");
            }
        }
        if let Some(u) = &self.llm_url
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            bail!("llm_url 应以 http:// 或 https:// 开头: {u}");
        }
        self.reports()?;
        if let Some(o) = &self.ledger_origin
            && (o.trim().is_empty() || o.contains('\n') || o.contains('+') || o.contains(' '))
        {
            bail!("ledger_origin 不能为空，也不能含空格、加号或换行");
        }
        Ok(())
    }

    /// The language model and fonts of periodic reports (fonts are read now: a bad path is an error).
    pub fn reports(&self) -> anyhow::Result<anjian_app::reports::ReportConfig> {
        use anjian_docs::fonts::{FontSet, FontSource};
        let llm = match (&self.llm_url, &self.llm_model) {
            (Some(url), Some(model)) => Some(anjian_app::reports::LlmConfig {
                url: url.clone(),
                model: model.clone(),
                token: self.llm_token.clone(),
                timeout: std::time::Duration::from_secs(self.llm_timeout_s.max(1)),
            }),
            (None, None) => None,
            _ => bail!("llm_url 与 llm_model 须同时配置"),
        };
        let fonts = match &self.pdf_font {
            Some(f) => {
                let bold = self.pdf_font_bold.as_deref().map(FontSource::parse);
                let set = FontSet::with_fallback(&FontSource::parse(f), bold.as_ref())
                    .map_err(|e| anyhow::anyhow!("pdf_font: {e}"))?;
                Some(std::sync::Arc::new(set))
            }
            None if self.pdf_font_bold.is_some() => bail!("pdf_font_bold 需要同时配置 pdf_font"),
            None => None,
        };
        Ok(anjian_app::reports::ReportConfig { llm, fonts })
    }

    pub fn ledger(&self) -> anjian_app::ledger::LedgerConfig {
        anjian_app::ledger::LedgerConfig {
            origin: self.ledger_origin.clone(),
            witnesses: self.ledger_witnesses.clone(),
        }
    }

    pub fn outbound(&self) -> anyhow::Result<anjian_app::outbound::Outbound> {
        use anjian_app::outbound::Outbound;
        let sms = match &self.sms_url {
            Some(u) => Some(
                Outbound::http_sms(u, self.sms_token.clone(), self.sms_kinds.clone(), self.sms_signature.clone())
                    .map_err(|e| anyhow::anyhow!("sms_url/sms_kinds: {e}"))?,
            ),
            None => None,
        };
        Ok(Outbound { webhooks: self.webhooks.clone(), sms })
    }

    pub fn upkeep(&self) -> anjian_app::monitoring::Upkeep {
        anjian_app::monitoring::Upkeep {
            retention_days: self.readings_retention_days,
            minute_retention_days: self.minute_rollups_retention_days,
            every: std::time::Duration::from_secs(self.offline_check_s),
        }
    }

    pub fn database_url(&self) -> String {
        self.database.clone().unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("anjian.db").display()))
    }

    /// The configured key, or the one kept in the data directory (created on
    /// first use with mode 0600).
    pub fn secrets(&self) -> anyhow::Result<anjian_app::crypto::Secrets> {
        if self.public_reports_per_minute == 0 {
            anyhow::bail!("public_reports_per_minute 必须大于 0");
        }
        if let Some(k) = &self.secret_key {
            return anjian_app::crypto::Secrets::from_hex(k).map_err(|e| anyhow::anyhow!(e));
        }
        let path = self.data_dir.join("secret.key");
        if !path.exists() {
            std::fs::create_dir_all(&self.data_dir)
                .with_context(|| format!("无法创建数据目录 {}", self.data_dir.display()))?;
            write_private(&path, &anjian_app::crypto::Secrets::generate_hex())?;
        }
        let hex = std::fs::read_to_string(&path).with_context(|| format!("无法读取 {}", path.display()))?;
        anjian_app::crypto::Secrets::from_hex(&hex).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }
}

fn write_private(path: &Path, content: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).with_context(|| format!("无法写入 {}", path.display()))?;
    f.write_all(content.as_bytes())?;
    Ok(())
}

pub fn redact_url(url: &str) -> String {
    // postgres://user:password@host → postgres://user:***@host
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((u, _)) => format!("{}{u}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact_url("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("sqlite://data/a.db"), "sqlite://data/a.db");
    }
}
