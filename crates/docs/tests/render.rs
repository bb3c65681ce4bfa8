//! Enforcement documents through the public API: the text comes back out of
//! the PDF (no tofu), the layout has the pages its content needs, and the
//! bytes are reproducible.

use anjian_docs::Error;
use anjian_docs::enforcement::{Document, Kind, example, lay_out, render};
use anjian_docs::fonts::FontSet;

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn extracted(pdf: &[u8]) -> String {
    squash(&pdf_extract::extract_text_from_mem(pdf).expect("the PDF parses"))
}

/// Every string the document shows, as the reader should find it in the PDF.
fn shown(doc: &Document) -> Vec<String> {
    let mut s = vec![
        doc.kind.title().to_string(),
        doc.number.clone(),
        doc.issuer.clone(),
        doc.unit.name.clone(),
        doc.remedies.court.clone(),
        "（印章）".into(),
    ];
    if doc.kind == Kind::InspectionRecord {
        s.extend([
            doc.unit.address.clone(),
            doc.unit.representative.clone(),
            doc.unit.phone.clone(),
            doc.place.clone(),
        ]);
        s.push(doc.situation.clone());
        s.retain(|x| x != "（印章）" && x != &doc.remedies.court);
    } else {
        s.push(format!("申请行政复议，或者在6个月内依法向{}提起行政诉讼", doc.remedies.court));
    }
    for i in &doc.inspectors {
        s.push(i.name.clone());
        s.push(i.certificate.clone());
    }
    for f in &doc.findings {
        s.push(f.description.clone());
        s.push(f.basis.clone());
    }
    s.into_iter().map(|x| squash(&x)).collect()
}

#[test]
fn every_string_of_each_document_extracts_back_from_the_pdf() {
    for kind in [Kind::InspectionRecord, Kind::RectificationOrder, Kind::ReviewOpinion] {
        let doc = example(kind, 10);
        let text = extracted(&render(&doc).unwrap());
        for s in shown(&doc) {
            assert!(text.contains(&s), "{kind:?}: {s:?} not found in the extracted text:\n{text}");
        }
        // Page numbers in the footer.
        assert!(text.contains("第1页共2页") && text.contains("第2页共2页"), "{kind:?}: {text}");
    }
}

#[test]
fn review_opinion_shows_each_outcome_and_the_order_reviewed() {
    let doc = example(Kind::ReviewOpinion, 8);
    let text = extracted(&render(&doc).unwrap());
    assert!(text.contains("已整改：现场核查已整改") && text.contains("未整改：仍未整改"));
    assert!(text.contains("作出了《责令限期整改指令书》（安澜应急责改〔2026〕15号）"));
    assert!(text.contains("上述8项问题中6项已整改，2项未整改"), "{text}");
}

#[test]
fn order_groups_findings_by_deadline() {
    let text = extracted(&render(&example(Kind::RectificationOrder, 10)).unwrap());
    assert!(
        text.contains(
            "现责令你单位对上述第1、4、7、10项问题于2026年11月5日前、第2、3、5、6、8、9项问题于2026年11月20日前整改完毕"
        ),
        "{text}"
    );
}

#[test]
fn a_ten_finding_order_is_two_pages() {
    // Page 1: the heading, the addressee paragraph and the first nine table rows;
    // page 2: the tenth row (header repeated), the order, the legal notice, the
    // signatures and the seal, kept together.
    let doc = example(Kind::RectificationOrder, 10);
    let laid = lay_out(&doc, FontSet::bundled()).unwrap();
    assert_eq!(laid.pages.len(), 2);
    assert!(laid.page_text(1).contains("序号存在的问题"), "header row repeated on page 2");
    assert!(laid.page_text(1).contains("（印章）"));
    let pdf = render(&doc).unwrap();
    assert_eq!(pdf_extract::extract_text_from_mem_by_pages(&pdf).unwrap().len(), 2);
    // The closing part (notice, signatures, seal: about 300 pt) never fits under
    // the heading and a table on page 1, so even one finding takes two pages;
    // up to twelve of these findings fit, the thirteenth makes a third page.
    let pages = |n| lay_out(&example(Kind::RectificationOrder, n), FontSet::bundled()).unwrap().pages.len();
    assert_eq!((pages(1), pages(12), pages(13)), (2, 2, 3));
}

#[test]
fn rendering_is_deterministic_and_depends_on_the_content() {
    let doc = example(Kind::RectificationOrder, 10);
    let a = render(&doc).unwrap();
    let b = render(&doc.clone()).unwrap();
    assert_eq!(a, b, "same document, same bytes");
    // Rendering on another thread (a fresh font cache) gives the same bytes too.
    let c = std::thread::spawn(move || render(&doc).unwrap()).join().unwrap();
    assert_eq!(a, c);
    let mut changed = example(Kind::RectificationOrder, 10);
    changed.findings[3].description.push_str("（复核）");
    assert_ne!(a, render(&changed).unwrap());
}

#[test]
fn a_new_version_names_the_document_it_replaces() {
    let mut doc = example(Kind::RectificationOrder, 3);
    doc.number = "安澜应急责改〔2026〕16号".into();
    doc.supersedes = Some("安澜应急责改〔2026〕15号".into());
    let text = extracted(&render(&doc).unwrap());
    assert!(text.contains("本文书替代安澜应急责改〔2026〕15号"), "{text}");
}

#[test]
fn a_character_no_font_has_is_an_error_not_a_blank() {
    let mut doc = example(Kind::InspectionRecord, 2);
    doc.unit.representative = "王𠀀".into();
    match render(&doc) {
        Err(Error::MissingGlyphs(cs)) => assert_eq!(cs, vec!['𠀀']),
        other => panic!("expected MissingGlyphs, got {:?}", other.map(|b| b.len())),
    }
}

#[test]
fn an_order_needs_a_deadline_for_every_finding() {
    let mut doc = example(Kind::RectificationOrder, 3);
    doc.findings[1].deadline = None;
    match render(&doc) {
        Err(Error::Invalid { field, .. }) => assert_eq!(field, "findings[1].deadline"),
        other => panic!("expected Invalid, got {:?}", other.map(|b| b.len())),
    }
}

#[test]
fn every_bundled_glyph_is_embedded_with_its_unicode() {
    // A line of GB 2312 text from several rows of the table, and full-width forms.
    let mut doc = example(Kind::InspectionRecord, 1);
    doc.situation = "啊阿埃挨哎唉哀皑癌蔼矮艾碍爱隘鞍氨安俺按暗岸胺案肮昂盎凹敖熬翱袄傲奥懊澳齄鼢鼯鼹鼷鼽鼾齄 ＡＢＣ１２３％＋－ 〔〕①②③ 鑫堃喆".into();
    let text = extracted(&render(&doc).unwrap());
    assert!(text.contains(&squash(&doc.situation)), "{text}");
}

#[test]
fn a_configured_fallback_font_covers_characters_the_bundled_subset_lacks() {
    // DejaVu Sans (in the base image) has Ŧ (U+0166), which GB 2312 does not.
    let mut doc = example(Kind::InspectionRecord, 1);
    doc.unit.representative = "ŦØMA 王".into();
    assert!(matches!(render(&doc), Err(Error::MissingGlyphs(cs)) if cs == vec!['Ŧ']));
    let dejavu = anjian_docs::fonts::FontSource::parse("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
    let fonts = FontSet::with_fallback(&dejavu, None).unwrap();
    let pdf = anjian_docs::enforcement::render_with(&doc, &fonts).unwrap();
    assert!(extracted(&pdf).contains("ŦØMA王"));
}
