//! What replicas read back from etcd, which anyone with access can write:
//! keys under the prefix, lease records, client pointers and replica
//! records. None of it may panic; a record that decodes encodes back to
//! the same record.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let keys = cluster::Keys::new("/kindling/");
    let _ = keys.object(data);
    let _ = keys.lease(data);
    let _ = keys.relative(data);
    let ip = std::net::Ipv4Addr::new(10, 0, 0, 1);
    if let Some(lease) = cluster::decode_lease(ip, data) {
        let again = cluster::encode_lease(&lease, "fuzz");
        assert_eq!(cluster::decode_lease(ip, &again), Some(lease));
    }
    let _ = cluster::lease_writer(data);
    if let Some(member) = cluster::MemberRecord::decode(data) {
        assert_eq!(cluster::MemberRecord::decode(&member.encode()), Some(member));
    }
});
