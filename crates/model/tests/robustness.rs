//! Wire and file input never panics: random bytes and near-valid documents
//! through every parser in this crate (the fuzz targets in `fuzz/` explore
//! further; this runs with the normal test suite).

use model::{Group, GroupSet, Labels, LoadedGroup, Mac, Profile};
use proptest::prelude::*;

fn json_like() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"id\"",
        "\"profile\"",
        "\"selector\"",
        "\"metadata\"",
        "\"boot\"",
        "\"kernel\"",
        "\"initrd\"",
        "\"args\"",
        "\"mac\"",
        "\"MAC\"",
        "\"52:54:00:89:d8:10\"",
        "\"x\"",
        "null",
        "true",
        "1e400",
        "-0",
        "3",
        "\"\\u0000\"",
        "\"\\ud800\"",
    ]);
    prop::collection::vec(atoms, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = Group::from_json(&bytes);
        let _ = Profile::from_json(&bytes);
        let s = String::from_utf8_lossy(&bytes);
        let _ = Labels::from_query(&s);
        let _ = Mac::parse(&s);
    }

    #[test]
    fn near_json_never_panics_and_selection_agrees(doc in json_like(), query in "[a-zA-Z=&;%+0-9:.-]{0,40}") {
        let (labels, _) = Labels::from_query(&query);
        if let Ok(group) = Group::from_json(doc.as_bytes()) {
            let set = GroupSet::new(vec![LoadedGroup { file_name: "g.json".into(), group }]);
            prop_assert_eq!(
                set.select(&labels).map(|g| g.file_name.clone()),
                set.select_by_scan(&labels).map(|g| g.file_name.clone())
            );
        }
        let _ = Profile::from_json(doc.as_bytes());
    }
}
