use std::collections::HashMap;

use anjian_classify::{Error, Grade, MajorRules, data, determine_grade, major_rules, taxonomy};

/// The rule id that makes this report major, or None when it stays at the
/// item's default grade.
fn rule_for(item: &str, text: &str) -> Option<String> {
    let g = determine_grade(item, text).expect("known item");
    if g.rule.is_some() {
        assert_eq!(g.grade, Grade::Major, "a cited rule always means major");
    }
    g.rule.map(|r| r.rule_id)
}

#[test]
fn at_least_thirty_rules_across_the_three_standards() {
    let r = major_rules();
    assert!(r.rules().len() >= 30, "{} rules", r.rules().len());
    let mut per: HashMap<&str, usize> = HashMap::new();
    for rule in r.rules() {
        *per.entry(rule.standard.as_str()).or_default() += 1;
    }
    for s in ["FW2022", "GM2023", "HG2017"] {
        assert!(per.get(s).copied().unwrap_or(0) >= 10, "{s}: {per:?}");
    }
}

#[test]
fn every_rule_links_existing_items_and_cites_an_article() {
    let t = taxonomy();
    for rule in major_rules().rules() {
        for sel in rule.items.iter().chain(&rule.text_items) {
            assert!(t.select(sel).next().is_some(), "{}: {sel} matches no item", rule.id);
        }
        assert!(rule.article.starts_with('第') && rule.text.ends_with('。'), "{}", rule.id);
    }
}

#[test]
fn a_defining_item_is_major_whatever_the_text() {
    let g = determine_grade("HAZC-03-01", "罐区检查").unwrap();
    assert_eq!(g.grade, Grade::Major);
    let c = g.rule.unwrap();
    assert_eq!(
        (c.standard.as_str(), c.article.as_str()),
        ("化工和危险化学品生产经营单位重大生产安全事故隐患判定标准（试行）", "第六条")
    );
    assert_eq!(c.document, "安监总管三〔2017〕121号");
}

#[test]
fn tower_crane_tilt_is_major_under_article_8() {
    assert_eq!(rule_for("CONS-04-02", "工地塔吊好像歪了").as_deref(), Some("FW2022-8-2"));
    assert_eq!(rule_for("CONS-04-02", "塔吊基础积水下沉").as_deref(), Some("FW2022-8-7"));
    assert_eq!(rule_for("CONS-04-02", "施工升降机附着间距过大").as_deref(), Some("FW2022-8-3"));
}

#[test]
fn missing_tie_ins_are_major_only_when_a_whole_storey_lacks_them() {
    assert_eq!(rule_for("CONS-03-02", "脚手架个别连墙件松动").as_deref(), None);
    assert_eq!(determine_grade("CONS-03-02", "脚手架个别连墙件松动").unwrap().grade, Grade::General);
    assert_eq!(rule_for("CONS-03-02", "五层整层连墙件都没有").as_deref(), Some("FW2022-7-2"));
}

#[test]
fn pit_collapse_signs_cite_article_5_4_even_under_a_neighbouring_item() {
    assert_eq!(rule_for("CONS-01-01", "基坑底部出现管涌，支护还没做完").as_deref(), Some("FW2022-5-4"));
    assert_eq!(rule_for("CONS-01-04", "坑边地面开裂").as_deref(), Some("FW2022-5-4"));
}

#[test]
fn confined_space_work_cites_the_construction_or_the_industry_standard() {
    assert_eq!(rule_for("CONF-03-01", "工地污水井作业前没有通风检测").as_deref(), Some("FW2022-11-1"));
    assert_eq!(rule_for("CONF-03-01", "食品厂清理污水池前没有检测硫化氢").as_deref(), Some("GM2023-13-2"));
    assert_eq!(rule_for("CONF-02-01", "进反应釜检修没有办理受限空间作业票").as_deref(), Some("HG2017-18"));
}

#[test]
fn explosion_proof_equipment_is_major_only_when_it_is_missing() {
    assert_eq!(rule_for("HAZC-04-02", "甲类车间装了普通日光灯").as_deref(), Some("HG2017-12b"));
    assert_eq!(rule_for("HAZC-04-02", "防爆灯外壳有点脏").as_deref(), None);
}

#[test]
fn full_width_and_spaced_text_still_matches() {
    assert_eq!(rule_for("CONS-06-02", "隧道 照明 用的是 ２２０Ｖ").as_deref(), Some("FW2022-10"));
}

#[test]
fn an_item_without_rules_keeps_its_default_grade() {
    let g = determine_grade("FIRE-01-01", "楼道里灭火器过期了").unwrap();
    assert_eq!((g.grade, g.rule), (Grade::General, None));
}

#[test]
fn an_unknown_item_is_an_error() {
    assert!(matches!(determine_grade("NOPE-01-01", "x"), Err(Error::UnknownItem(_))));
}

#[test]
fn a_rule_pointing_at_a_missing_item_is_rejected() {
    let mut json: serde_json::Value = serde_json::from_str(data::MAJOR_RULES_JSON).unwrap();
    json["rules"][0]["items"] = serde_json::json!(["CONS-99-99"]);
    assert!(matches!(MajorRules::from_json(&json.to_string(), taxonomy()), Err(Error::Invalid { .. })));
}

#[test]
fn gas_over_the_limit_cites_the_coal_mine_standard() {
    let g = determine_grade("MINE-01-01", "掘进工作面瓦斯超限还在干").unwrap();
    let c = g.rule.unwrap();
    assert_eq!((c.document.as_str(), c.article.as_str()), ("应急管理部令第4号", "第三条第（二）项"));
    assert_eq!(rule_for("MINE-01-02", "井下出现串联通风").as_deref(), Some("MK2020-3-5"));
}

#[test]
fn people_and_neighbours_are_matched_in_context() {
    assert_eq!(rule_for("MGMT-02-02", "这家化工厂的主要负责人没有考核合格证").as_deref(), Some("HG2017-1"));
    assert_eq!(rule_for("MGMT-02-02", "商场经理没有参加安全培训").as_deref(), None);
    assert_eq!(rule_for("CONS-01-01", "基坑紧挨着老居民楼，周边建筑没有任何保护措施").as_deref(), Some("FW2022-5-1"));
}

#[test]
fn not_knowing_ones_confined_spaces_is_not_a_special_work_violation() {
    assert_eq!(rule_for("CONF-01-01", "企业对厂区内的污水池、储罐等有限空间底数不清").as_deref(), None);
    assert_eq!(rule_for("CONF-01-01", "没有辨识有限空间，也没设警示标志").as_deref(), Some("GM2023-13-1"));
}
