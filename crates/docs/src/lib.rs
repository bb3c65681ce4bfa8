//! Document rendering for anjian (pure: no database, no async).
pub mod chart;
pub mod enforcement;
pub mod fonts;
pub mod layout;
pub mod linebreak;
pub mod pdf;

/// Errors of rendering.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A font file could not be read or parsed.
    #[error("字体不可用：{0}")]
    Font(String),
    /// Characters that no configured font can draw (they would otherwise vanish or show as boxes).
    #[error("字体缺少以下字符，请配置包含它们的字体（pdf_font）：{}", .0.iter().collect::<String>())]
    MissingGlyphs(Vec<char>),
    /// A document lacks something it must show.
    #[error("{field}：{message}")]
    Invalid { field: String, message: String },
    /// The PDF writer failed.
    #[error("PDF 生成失败：{0}")]
    Pdf(String),
}
