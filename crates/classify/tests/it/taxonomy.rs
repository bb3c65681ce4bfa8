use std::collections::HashSet;

use anjian_classify::{AccidentCategories, Error, Grade, Taxonomy, accident_categories, data, describe, taxonomy};

#[test]
fn taxonomy_has_at_least_8_domains_40_classes_130_items() {
    let t = taxonomy();
    let (d, c, i) = (t.domains().len(), t.classes().count(), t.items().count());
    assert!(d >= 8 && c >= 40 && i >= 130, "{d} domains, {c} classes, {i} items");
}

#[test]
fn codes_are_unique_across_all_levels() {
    let t = taxonomy();
    let mut seen = HashSet::new();
    for code in
        t.domains().iter().map(|d| &d.code).chain(t.classes().map(|c| &c.code)).chain(t.items().map(|i| &i.code))
    {
        assert!(seen.insert(code.clone()), "duplicate code {code}");
    }
}

#[test]
fn item_codes_follow_domain_class_item_pattern() {
    for it in taxonomy().items() {
        let parts: Vec<&str> = it.code.split('-').collect();
        assert_eq!(parts.len(), 3, "{}", it.code);
        assert!(parts[0].chars().all(|c| c.is_ascii_uppercase()), "{}", it.code);
        assert!(parts[1..].iter().all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_digit())), "{}", it.code);
    }
}

#[test]
fn every_item_has_a_known_accident_category_grade_deadline_and_guidance() {
    let cats = accident_categories();
    for it in taxonomy().items() {
        assert!(cats.get(&it.accident_category).is_some(), "{}: category {}", it.code, it.accident_category);
        assert!(it.deadline_days >= 1 && it.deadline_days <= 365, "{}", it.code);
        assert!(
            it.guidance.chars().count() >= 15 && it.guidance.ends_with('。'),
            "{}: guidance should be a sentence",
            it.code
        );
        assert!(!it.keywords.is_empty(), "{}", it.code);
        let _: Grade = it.default_grade;
    }
}

#[test]
fn gb6441_lists_the_twenty_categories_with_its_version() {
    let c = accident_categories();
    assert_eq!(c.version, "GB 6441-1986");
    let names: Vec<&str> = c.categories.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "物体打击",
            "车辆伤害",
            "机械伤害",
            "起重伤害",
            "触电",
            "淹溺",
            "灼烫",
            "火灾",
            "高处坠落",
            "坍塌",
            "冒顶片帮",
            "透水",
            "放炮",
            "火药爆炸",
            "瓦斯爆炸",
            "锅炉爆炸",
            "容器爆炸",
            "其他爆炸",
            "中毒和窒息",
            "其他伤害",
        ]
    );
    assert_eq!(taxonomy().accident_category_version, c.version);
}

#[test]
fn required_hazard_areas_are_covered() {
    let t = taxonomy();
    let domains: HashSet<&str> = t.domains().iter().map(|d| d.name.as_str()).collect();
    for d in [
        "消防安全",
        "电气安全",
        "危险化学品",
        "建筑施工",
        "矿山安全",
        "特种设备",
        "有限空间",
        "职业健康",
        "交通运输",
        "安全管理",
    ] {
        assert!(domains.contains(d), "missing domain {d}");
    }
    let classes: Vec<&str> = t.classes().map(|c| c.name.as_str()).collect();
    for c in ["脚手架", "基坑工程", "模板支架", "建筑起重机械", "高处作业", "施工临时用电"] {
        assert!(classes.contains(&c), "missing construction class {c}");
    }
}

#[test]
fn describe_resolves_path_and_category() {
    let d = describe("FIRE-01-01").expect("item exists");
    assert_eq!(d.path, "消防安全 / 消防设施器材 / 灭火器过期、失效或缺失");
    assert_eq!(d.accident_category, "火灾");
    assert_eq!(d.accident_category_version, "GB 6441-1986");
    assert_eq!(d.default_grade, Grade::General);
    assert!(describe("FIRE-99-99").is_none());
}

#[test]
fn a_duplicate_item_code_is_rejected() {
    let mut json: serde_json::Value = serde_json::from_str(data::TAXONOMY_JSON).unwrap();
    let first = json["domains"][0]["classes"][0]["items"][0].clone();
    json["domains"][0]["classes"][0]["items"].as_array_mut().unwrap().push(first);
    let cats = AccidentCategories::from_json(data::GB6441_JSON).unwrap();
    assert!(matches!(Taxonomy::from_json(&json.to_string(), &cats), Err(Error::Invalid { .. })));
}

#[test]
fn an_unknown_accident_category_is_rejected() {
    let mut json: serde_json::Value = serde_json::from_str(data::TAXONOMY_JSON).unwrap();
    json["domains"][0]["classes"][0]["items"][0]["accident_category"] = "99".into();
    let cats = AccidentCategories::from_json(data::GB6441_JSON).unwrap();
    assert!(matches!(Taxonomy::from_json(&json.to_string(), &cats), Err(Error::Invalid { .. })));
}
