//! Store behaviour on both backends: migrations, scoped listing, conflicts,
//! transactions that roll back leave nothing behind.

use anjian_domain::ids::RegionCode;
use anjian_domain::role::Scope;
use anjian_store::filter::Page;
use anjian_store::testing::TestDb;
use anjian_store::{StoreError, both_backends, enterprises, migrate, regions};

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
