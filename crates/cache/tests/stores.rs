//! The byte-bounded stores under load, concurrency and restart.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Request, Response};
use methodical_cache::store::{Rejected, Store, StoreConfig};
use methodical_cache::{CacheKey, StoredResponse};

fn at(s: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(s)
}

fn key(path: &str) -> CacheKey {
    let (p, ()) = Request::builder().uri(format!("http://store.test{path}")).body(()).unwrap().into_parts();
    CacheKey::from_request(&p, "http").unwrap()
}

fn entry(body_len: usize, lang: &str, t: u64) -> StoredResponse {
    let (req, ()) = Request::builder()
        .uri("http://store.test/x")
        .header("accept-language", lang)
        .body(())
        .unwrap()
        .into_parts();
    let (resp, ()) = Response::builder()
        .header("cache-control", "max-age=60")
        .header("vary", "Accept-Language")
        .body(())
        .unwrap()
        .into_parts();
    StoredResponse::new(&req, &resp, Bytes::from(vec![b'a'; body_len]), at(t), at(t)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_tier_never_exceeds_its_byte_bound() {
    const CAP: u64 = 256 * 1024;
    let store = Arc::new(Store::memory_only(CAP, 16 * 1024, 4));
    let mut tasks = Vec::new();
    for t in 0..8u64 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..400u64 {
                let size = ((t * 7919 + i * 104_729) % 12_000) as usize;
                s.insert(&key(&format!("/{t}/{i}")), entry(size, "en", i)).await.unwrap();
                let w = s.memory().weight();
                assert!(w <= CAP, "memory tier holds {w} bytes, bound {CAP}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert!(store.memory().weight() <= CAP);
    assert!(store.memory().len() > 10, "the tier is actually used");
}

#[tokio::test]
async fn objects_over_max_object_size_are_rejected() {
    let store = Store::memory_only(1 << 20, 4096, 4);
    assert_eq!(store.insert(&key("/big"), entry(10_000, "en", 1)).await, Err(Rejected::TooLarge));
    assert!(store.get(&key("/big")).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_variant_inserts_on_one_key_are_all_kept() {
    let store = Arc::new(Store::memory_only(1 << 20, 1 << 16, 32));
    let mut tasks = Vec::new();
    for i in 0..20u64 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            s.insert(&key("/same"), entry(100, &format!("l{i}"), i)).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(store.get(&key("/same")).await.unwrap().len(), 20);
}

#[tokio::test]
async fn same_variant_is_replaced_and_max_variants_drops_the_oldest() {
    let store = Store::memory_only(1 << 20, 1 << 16, 3);
    store.insert(&key("/v"), entry(10, "en", 1)).await.unwrap();
    store.insert(&key("/v"), entry(20, "en", 2)).await.unwrap();
    let v = store.get(&key("/v")).await.unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].body().len(), 20);
    for (i, lang) in ["fr", "de", "it"].iter().enumerate() {
        store.insert(&key("/v"), entry(10, lang, 10 + i as u64)).await.unwrap();
    }
    let v = store.get(&key("/v")).await.unwrap();
    let langs: Vec<_> = v.iter().map(|e| e.vary().0[0].1.clone().unwrap()).collect();
    assert_eq!(langs.len(), 3);
    assert!(!langs.contains(&"en".to_owned()), "the oldest variant is dropped: {langs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reads_writes_and_removals_stay_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        Store::open(StoreConfig {
            memory_bytes: 64 * 1024,
            disk: Some((dir.path().to_path_buf(), 128 * 1024)),
            max_object_size: 8 * 1024,
            max_variants: 4,
        })
        .await
        .unwrap(),
    );
    let mut tasks = Vec::new();
    for t in 0..6u64 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..150u64 {
                let k = key(&format!("/k{}", (t + i) % 17));
                match i % 3 {
                    0 => s.insert(&k, entry((i as usize * 37) % 4000, "en", i)).await.unwrap(),
                    1 => {
                        if let Some(v) = s.get(&k).await {
                            assert!(!v.is_empty());
                        }
                    }
                    _ => {
                        s.remove(&k).await;
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert!(store.memory().weight() <= 64 * 1024);
    let disk = store.disk().unwrap();
    assert!(disk.weight() <= 128 * 1024);
    // After a removal nothing comes back, from either tier.
    for i in 0..17 {
        let k = key(&format!("/k{i}"));
        store.remove(&k).await;
        assert!(store.get(&k).await.is_none());
    }
    assert_eq!(disk.len(), 0);
}

#[tokio::test]
async fn disk_tier_survives_restart_and_cleans_partial_files() {
    let dir = tempfile::tempdir().unwrap();
    let config = StoreConfig {
        memory_bytes: 1 << 20,
        disk: Some((dir.path().to_path_buf(), 1 << 20)),
        max_object_size: 1 << 16,
        max_variants: 4,
    };
    {
        let store = Store::open(config.clone()).await.unwrap();
        store.insert(&key("/a"), entry(100, "en", 1)).await.unwrap();
        store.insert(&key("/a"), entry(200, "fr", 2)).await.unwrap();
        store.insert(&key("/b"), entry(300, "en", 3)).await.unwrap();
    }
    // Debris of a crash: a temp file, a truncated entry, a garbage entry.
    std::fs::write(dir.path().join("0123.1.2.tmp"), b"partial").unwrap();
    let victim = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "entry"))
        .unwrap();
    let truncated = dir.path().join("ffffffffffffffffffffffffffffffff.entry");
    let bytes = std::fs::read(&victim).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    std::fs::write(dir.path().join("eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee.entry"), b"not a cache file at all").unwrap();

    let store = Store::open(config).await.unwrap();
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "only the two real entries remain: {names:?}");
    assert!(names.iter().all(|n| n.ends_with(".entry")));
    assert!(store.memory().is_empty());
    let a = store.get(&key("/a")).await.expect("entry /a survives a restart");
    assert_eq!(a.len(), 2);
    let b = store.get(&key("/b")).await.expect("entry /b survives a restart");
    assert_eq!(b[0].body().len(), 300);
    assert_eq!(store.memory().len(), 2, "disk hits are promoted to memory");
}

#[tokio::test]
async fn corrupt_entry_is_removed_on_read() {
    let dir = tempfile::tempdir().unwrap();
    let config = StoreConfig {
        memory_bytes: 1 << 20,
        disk: Some((dir.path().to_path_buf(), 1 << 20)),
        max_object_size: 1 << 16,
        max_variants: 4,
    };
    {
        let store = Store::open(config.clone()).await.unwrap();
        store.insert(&key("/c"), entry(100, "en", 1)).await.unwrap();
    }
    let path = std::fs::read_dir(dir.path()).unwrap().next().unwrap().unwrap().path();
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff; // same length, wrong checksum
    std::fs::write(&path, &bytes).unwrap();
    let store = Store::open(config).await.unwrap();
    assert_eq!(store.disk().unwrap().len(), 1, "the header still looks sound");
    assert!(store.get(&key("/c")).await.is_none());
    assert!(!path.exists());
    assert_eq!(store.disk().unwrap().len(), 0);
}

#[tokio::test]
async fn disk_tier_evicts_least_recently_used_by_size() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(StoreConfig {
        memory_bytes: 1 << 20,
        disk: Some((dir.path().to_path_buf(), 5000)),
        max_object_size: 1 << 16,
        max_variants: 4,
    })
    .await
    .unwrap();
    for i in 0..10u64 {
        store.insert(&key(&format!("/e{i}")), entry(1000, "en", i)).await.unwrap();
        assert!(store.disk().unwrap().weight() <= 5000);
    }
    let disk = store.disk().unwrap();
    assert!(disk.len() < 10 && disk.len() >= 2, "{} entries on disk", disk.len());
    let on_disk = |i: u64| disk.read(&key(&format!("/e{i}"))).is_some();
    assert!(on_disk(9), "the newest entry stays");
    assert!(!on_disk(0), "the oldest entry went first");
    // An entry larger than the whole tier is kept in memory only.
    store.insert(&key("/huge"), entry(20_000, "en", 99)).await.unwrap();
    assert!(disk.read(&key("/huge")).is_none());
    assert!(store.get(&key("/huge")).await.is_some());
}
