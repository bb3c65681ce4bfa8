//! Store behaviour on both backends: migrations, scoped listing, conflicts,
//! transactions that roll back leave nothing behind.

use anjian_domain::ids::RegionCode;
use anjian_domain::role::Scope;
use anjian_store::filter::Page;
use anjian_store::testing::TestDb;
use anjian_store::{StoreError, both_backends, enterprises, hazards, migrate, regions};

fn region(code: &str, parent: Option<&str>, level: &str) -> regions::NewRegion {
    regions::NewRegion {
        code: code.into(),
        parent_code: parent.map(Into::into),
        name: format!("区域{code}"),
        level: level.into(),
        geometry: None,
        centroid_lon: None,
        centroid_lat: None,
    }
}

fn enterprise(id: &str, uscc: &str, region: &str) -> enterprises::Enterprise {
    enterprises::Enterprise {
        id: id.into(),
        uscc: uscc.into(),
        name: format!("企业{id}"),
        industry: "trade".into(),
        address: "某路1号".into(),
        lon: Some(118.0),
        lat: Some(36.7),
        region_code: region.into(),
        scale: "small".into(),
        responsible: "[]".into(),
        created_at: 1,
        updated_at: 1,
    }
}

async fn seed(t: &TestDb) {
    let mut tx = t.db.begin().await.unwrap();
    for (c, p, l) in [
        ("379900", None, "city"),
        ("379901", Some("379900"), "district"),
        ("379902", Some("379900"), "district"),
        ("379901001", Some("379901"), "street"),
        ("379902001", Some("379902"), "street"),
    ] {
        regions::insert(&mut tx, &region(c, p, l), 0).await.unwrap();
    }
    enterprises::insert(&mut tx, &enterprise("e1", "91379901000000001X", "379901001")).await.unwrap();
    enterprises::insert(&mut tx, &enterprise("e2", "91379902000000002X", "379902001")).await.unwrap();
    tx.commit().await.unwrap();
}

both_backends! {
    async fn migrations_are_idempotent(b: Backend) {
        let t = TestDb::new(b).await;
        assert_eq!(migrate::run(&t.db).await.unwrap(), 0, "second run applies nothing");
        t.cleanup().await;
    }
}

both_backends! {
    async fn scoped_listing_sees_only_the_subtree(b: Backend) {
        let t = TestDb::new(b).await;
        seed(&t).await;
        let mut c = t.db.read().await.unwrap();
        let d1 = Scope::Region(RegionCode::parse("r", "379901").unwrap());
        let (items, total) = enterprises::list(&mut c, &d1, &Default::default(), Page::new(None, None)).await.unwrap();
        assert_eq!((items.len(), total), (1, 1));
        assert_eq!(items[0].id, "e1");
        let city = Scope::Region(RegionCode::parse("r", "379900").unwrap());
        let (_, total) = enterprises::list(&mut c, &city, &Default::default(), Page::new(None, None)).await.unwrap();
        assert_eq!(total, 2);
        let ent = Scope::Enterprises(vec!["e2".into()]);
        let (items, _) = enterprises::list(&mut c, &ent, &Default::default(), Page::new(None, None)).await.unwrap();
        assert_eq!(items.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["e2"]);
        drop(c);
        t.cleanup().await;
    }
}

both_backends! {
    async fn duplicate_uscc_is_a_conflict_and_rollback_leaves_nothing(b: Backend) {
        let t = TestDb::new(b).await;
        seed(&t).await;
        let mut tx = t.db.begin().await.unwrap();
        enterprises::insert(&mut tx, &enterprise("e3", "91379901000000003X", "379901001")).await.unwrap();
        let err = enterprises::insert(&mut tx, &enterprise("e4", "91379901000000001X", "379901001")).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { field: "uscc" }), "{err:?}");
        tx.rollback().await.unwrap();
        let mut c = t.db.read().await.unwrap();
        assert_eq!(enterprises::count(&mut c).await.unwrap(), 2, "e3 must not survive the rollback");
        drop(c);
        t.cleanup().await;
    }
}

both_backends! {
    /// A statement first run with a missing coordinate, then with one, on
    /// the same connection (sqlx-core 0.9.0's Any driver declares a NULL f64
    /// as FLOAT4, which a cached PostgreSQL statement then keeps).
    async fn optional_coordinates_bind_after_a_null_on_one_connection(b: Backend) {
        let t = TestDb::new(b).await;
        let mut tx = t.db.begin().await.unwrap();
        regions::insert(&mut tx, &region("379900", None, "city"), 1).await.unwrap();
        let mut with_point = region("379901", Some("379900"), "district");
        with_point.centroid_lon = Some(118.1);
        with_point.centroid_lat = Some(36.8);
        regions::insert(&mut tx, &with_point, 1).await.unwrap();
        let mut a = enterprise("e1", "91370100MA3C4XYZ1Q", "379901");
        a.lon = None;
        a.lat = None;
        enterprises::insert(&mut tx, &a).await.unwrap();
        enterprises::insert(&mut tx, &enterprise("e2", "91370100MA3C4XYZ2Q", "379901")).await.unwrap();
        tx.commit().await.unwrap();
        let mut c = t.db.read().await.unwrap();
        let e2 = enterprises::get(&mut c, "e2").await.unwrap().unwrap();
        assert_eq!((e2.lon, e2.lat), (Some(118.0), Some(36.7)));
    }
}

fn hazard(id: &str, point: Option<(f64, f64)>, confidence: Option<f64>) -> hazards::Hazard {
    hazards::Hazard {
        id: id.into(),
        code: format!("YH-{id}"),
        tracking_code: format!("TC{id}"),
        channel: "grid_patrol".into(),
        description: "配电箱未接地".into(),
        lon: point.map(|p| p.0),
        lat: point.map(|p| p.1),
        region_code: "379900".into(),
        enterprise_id: None,
        project_id: None,
        taxonomy_item: None,
        classify_confidence: confidence,
        needs_classification: 1,
        grade: "general".into(),
        grade_basis: None,
        state: "reported".into(),
        deadline_ms: None,
        extension_until_ms: None,
        escalation_level: 0,
        assignee_user_id: None,
        reporter_user_id: None,
        reporter_contact_enc: None,
        idempotency_key: None,
        reported_at: 1,
        updated_at: 1,
        closed_at: None,
        reminded_at: None,
        closeout_applied_at: None,
        rechecked_at: None,
    }
}

both_backends! {
    async fn hazard_floats_round_trip_null_and_values_on_one_connection(b: Backend) {
        let t = TestDb::new(b).await;
        let mut tx = t.db.begin().await.unwrap();
        regions::insert(&mut tx, &region("379900", None, "city"), 1).await.unwrap();
        // NULL first, then values, then NULL again, through the same cached statements.
        hazards::insert(&mut tx, &hazard("h1", None, None)).await.unwrap();
        hazards::insert(&mut tx, &hazard("h2", Some((118.25, 36.5)), Some(0.75))).await.unwrap();
        hazards::insert(&mut tx, &hazard("h3", None, Some(0.5))).await.unwrap();
        let mut h1 = hazards::get(&mut tx, "h1").await.unwrap().unwrap();
        h1.classify_confidence = Some(0.9);
        hazards::update(&mut tx, &h1).await.unwrap();
        let mut h2 = hazards::get(&mut tx, "h2").await.unwrap().unwrap();
        h2.classify_confidence = None;
        hazards::update(&mut tx, &h2).await.unwrap();
        tx.commit().await.unwrap();
        let mut c = t.db.read().await.unwrap();
        let got = |h: hazards::Hazard| (h.lon, h.lat, h.classify_confidence);
        assert_eq!(got(hazards::get(&mut c, "h1").await.unwrap().unwrap()), (None, None, Some(0.9)));
        assert_eq!(got(hazards::get(&mut c, "h2").await.unwrap().unwrap()), (Some(118.25), Some(36.5), None));
        assert_eq!(got(hazards::get(&mut c, "h3").await.unwrap().unwrap()), (None, None, Some(0.5)));
    }
}

both_backends! {
    async fn appended_events_are_numbered_per_hazard(b: Backend) {
        let t = TestDb::new(b).await;
        let mut tx = t.db.begin().await.unwrap();
        regions::insert(&mut tx, &region("379900", None, "city"), 1).await.unwrap();
        hazards::insert(&mut tx, &hazard("h1", None, None)).await.unwrap();
        hazards::insert(&mut tx, &hazard("h2", None, None)).await.unwrap();
        let ev = |id: &str, h: &str| hazards::HazardEvent {
            id: id.into(),
            hazard_id: h.into(),
            seq: 99,
            at: 1,
            actor_id: None,
            actor_name: "系统".into(),
            party: "system".into(),
            event: "report".into(),
            state_before: None,
            state_after: "reported".into(),
            note: None,
            data: "{}".into(),
            attachments: "[]".into(),
            public: 1,
        };
        let mut seqs = vec![];
        for (id, h) in [("e1", "h1"), ("e2", "h1"), ("e3", "h2"), ("e4", "h1")] {
            seqs.push(hazards::append_event(&mut tx, &ev(id, h)).await.unwrap());
        }
        assert_eq!(seqs, [1, 2, 1, 3], "the carried seq is ignored; each hazard counts its own");
        tx.commit().await.unwrap();
        let mut c = t.db.read().await.unwrap();
        let stored: Vec<i64> = hazards::events_of(&mut c, "h1").await.unwrap().iter().map(|e| e.seq).collect();
        assert_eq!(stored, [1, 2, 3]);
    }
}
