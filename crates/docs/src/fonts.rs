//! Fonts: the bundled Noto Sans CJK SC subset and optional fallback fonts.
//!
//! Every character is drawn with the first face of its weight's chain that
//! has a glyph for it: the bundled subset first (ASCII, GB 2312, full-width
//! forms, common symbols and name characters; see `scripts/subset-fonts`),
//! then the fallback fonts a deployment configures (a full CJK font covers
//! the rare characters of personal and place names). A character that no
//! face has is never dropped or drawn as a box: rendering fails with
//! [`Error::MissingGlyphs`] naming the characters, so the operator can
//! configure a font that has them.
//!
//! Fonts are loaded once per process and kept for its lifetime (their bytes
//! are leaked into `'static`), so layouts borrow them freely.

use crate::Error;
use krilla::text::Font;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

static REGULAR: &[u8] = include_bytes!("../fonts/NotoSansSC-Regular.subset.otf");
static BOLD: &[u8] = include_bytes!("../fonts/NotoSansSC-Bold.subset.otf");

/// A font weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Weight {
    Regular,
    Bold,
}

/// One loaded font face: the PDF font and its metrics.
pub struct Face {
    name: String,
    font: Font,
    charmap: skrifa::charmap::Charmap<'static>,
    glyphs: GlyphMetrics<'static>,
    upem: f32,
    ascent: f32,
    descent: f32,
}

impl Face {
    fn load(name: String, data: &'static [u8], index: u32) -> Result<Face, Error> {
        let bad = |why: &str| Error::Font(format!("{name}: {why}"));
        let font_ref = FontRef::from_index(data, index).map_err(|_| bad("not an OpenType font or no such face"))?;
        let metrics = font_ref.metrics(Size::unscaled(), LocationRef::default());
        let font = Font::new(data.into(), index).ok_or_else(|| bad("krilla cannot read it"))?;
        Ok(Face {
            charmap: font_ref.charmap(),
            glyphs: font_ref.glyph_metrics(Size::unscaled(), LocationRef::default()),
            upem: f32::from(metrics.units_per_em),
            ascent: metrics.ascent,
            descent: metrics.descent,
            font,
            name,
        })
    }

    /// The glyph id of `c` and its advance in ems, if the face has it.
    pub fn glyph(&self, c: char) -> Option<(u32, f32)> {
        let gid = self.charmap.map(c)?;
        if gid.to_u32() == 0 {
            return None;
        }
        let adv = self.glyphs.advance_width(gid).unwrap_or(self.upem);
        Some((gid.to_u32(), adv / self.upem))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn pdf_font(&self) -> Font {
        self.font.clone()
    }

    /// Ascent and descent (negative) in ems.
    pub fn vertical_metrics(&self) -> (f32, f32) {
        (self.ascent / self.upem, self.descent / self.upem)
    }
}

/// A font file and the face to use in it (collections such as `.ttc` hold several).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FontSource {
    pub path: PathBuf,
    pub index: u32,
}

impl FontSource {
    /// Parses `path` or `path#index` (e.g. `/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc#2`,
    /// face 2 being Noto Sans CJK SC).
    pub fn parse(s: &str) -> FontSource {
        match s.rsplit_once('#') {
            Some((p, i)) if i.parse::<u32>().is_ok() => FontSource { path: p.into(), index: i.parse().unwrap_or(0) },
            _ => FontSource { path: s.into(), index: 0 },
        }
    }
}

/// The faces available to a rendering, per weight, in lookup order.
pub struct FontSet {
    regular: Vec<Face>,
    bold: Vec<Face>,
}

impl FontSet {
    /// The bundled Noto Sans CJK SC subset (Regular and Bold), loaded once.
    pub fn bundled() -> &'static FontSet {
        static SET: OnceLock<FontSet> = OnceLock::new();
        SET.get_or_init(|| {
            // The bundled files are part of the build: failing to read them is a broken build.
            let face = |name: &str, data| Face::load(name.into(), data, 0).expect("bundled font");
            FontSet {
                regular: vec![face("Noto Sans CJK SC Regular (subset)", REGULAR)],
                bold: vec![face("Noto Sans CJK SC Bold (subset)", BOLD)],
            }
        })
    }

    /// The bundled faces followed by fallback fonts: `regular` for both weights
    /// unless `bold` is given. The files are read now; an unreadable file or a
    /// file that is not a font is an error.
    pub fn with_fallback(regular: &FontSource, bold: Option<&FontSource>) -> Result<FontSet, Error> {
        let load = |src: &FontSource| -> Result<Face, Error> {
            let data = read(&src.path)?;
            Face::load(format!("{}#{}", src.path.display(), src.index), data, src.index)
        };
        let bundled = FontSet::bundled();
        let mut set = FontSet {
            regular: vec![Face::load(bundled.regular[0].name.clone(), REGULAR, 0)?],
            bold: vec![Face::load(bundled.bold[0].name.clone(), BOLD, 0)?],
        };
        set.regular.push(load(regular)?);
        set.bold.push(load(bold.unwrap_or(regular))?);
        Ok(set)
    }

    fn chain(&self, w: Weight) -> &[Face] {
        match w {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    pub(crate) fn face(&self, w: Weight, i: usize) -> &Face {
        &self.chain(w)[i]
    }

    /// The face index, glyph id and advance (ems) for `c`, or None when no face has it.
    /// Controls and line breaks have no glyph and take no space.
    pub fn resolve(&self, w: Weight, c: char) -> Option<(usize, u32, f32)> {
        self.chain(w).iter().enumerate().find_map(|(i, f)| f.glyph(c).map(|(g, a)| (i, g, a)))
    }

    /// Advance of `c` in ems (0 for characters without a glyph, which
    /// [`FontSet::check`] reports before anything is drawn).
    pub fn advance(&self, w: Weight, c: char) -> f32 {
        self.resolve(w, c).map_or(0.0, |r| r.2)
    }

    /// Every character of `text` that no face of the weight can draw, in order, once each.
    pub fn missing(&self, w: Weight, text: &str) -> Vec<char> {
        let mut out: Vec<char> = Vec::new();
        for c in text.chars().filter(|c| !c.is_control()) {
            if self.resolve(w, c).is_none() && !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }
}

type FileCache = std::sync::Mutex<Vec<(PathBuf, &'static [u8])>>;

fn read(path: &Path) -> Result<&'static [u8], Error> {
    // Cache by path: a configured font is read once per process, whatever the number of renderings.
    static CACHE: OnceLock<FileCache> = OnceLock::new();
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, d)) = cache.iter().find(|(p, _)| p == path) {
        return Ok(d);
    }
    let data = std::fs::read(path).map_err(|e| Error::Font(format!("{}: {e}", path.display())))?;
    let data: &'static [u8] = Box::leak(data.into_boxed_slice());
    cache.push((path.to_path_buf(), data));
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_subset_covers_gb2312_samples_and_symbols() {
        let set = FontSet::bundled();
        for c in "安全生产监督管理局责令限期整改指令书〔〕①②③，。、；：？！（）《》“”0123456789ABCxyz％＋".chars()
        {
            assert!(set.resolve(Weight::Regular, c).is_some(), "regular lacks {c}");
            assert!(set.resolve(Weight::Bold, c).is_some(), "bold lacks {c}");
        }
        // CJK ideographs are one em wide; ASCII is proportional.
        assert_eq!(set.advance(Weight::Regular, '安'), 1.0);
        assert!(set.advance(Weight::Regular, 'i') < set.advance(Weight::Regular, 'W'));
    }

    #[test]
    fn missing_lists_each_uncovered_character_once() {
        // 𠀀 (U+20000, CJK extension B) and 龘 are outside the subset.
        let m = FontSet::bundled().missing(Weight::Regular, "张𠀀龘𠀀三");
        assert_eq!(m, vec!['𠀀', '龘']);
    }

    #[test]
    fn font_source_parses_collection_index() {
        assert_eq!(FontSource::parse("/x/a.ttc#2"), FontSource { path: "/x/a.ttc".into(), index: 2 });
        assert_eq!(FontSource::parse("/x/a#b.otf"), FontSource { path: "/x/a#b.otf".into(), index: 0 });
    }

    #[test]
    fn unreadable_fallback_is_an_error_naming_the_file() {
        let e = FontSet::with_fallback(&FontSource::parse("/nonexistent/font.otf"), None).err().unwrap();
        assert!(e.to_string().contains("/nonexistent/font.otf"), "{e}");
    }
}
