//! Group and profile files and query strings: whatever the bytes, parsing
//! yields a value or an error, and selection over what parsed never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let group = model::Group::from_json(data);
    let _ = model::Profile::from_json(data);
    let query = String::from_utf8_lossy(data);
    let (labels, _) = model::Labels::from_query(&query);
    if let Ok(group) = group {
        let _ = group.selector_string();
        let set = model::GroupSet::new(vec![model::LoadedGroup { file_name: "f.json".into(), group }]);
        assert_eq!(
            set.select(&labels).map(|g| g.file_name.clone()),
            set.select_by_scan(&labels).map(|g| g.file_name.clone())
        );
    }
});
