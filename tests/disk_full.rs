//! Issue 8 item 5 (part), disk full during PUT, against the real binary on a really full
//! filesystem: a WebDAV route whose root is a 2 MiB tmpfs, an existing file F, and a PUT
//! over F larger than the free space → `507 Insufficient Storage` with an explaining body,
//! F byte-identical afterwards, no temporary left, and the server keeps serving.
//!
//! The tmpfs is mounted inside a mount namespace of the test's own (`unshare(CLONE_NEWNS)` on
//! a dedicated thread, mounts made private), so it is invisible outside the test and goes
//! away with it even if the test dies. That needs root (CAP_SYS_ADMIN), as on the CI machine.

mod common;

use std::ffi::CString;
use std::io::Write;
use std::path::{Path, PathBuf};

use common::{crlf, Conn, RawResponse, Server};

/// Size of the filesystem under the WebDAV root.
const FS_SIZE: &str = "2m";

fn cstr(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn os_error(what: &str) -> String {
    format!("{what}: {}", std::io::Error::last_os_error())
}

/// Runs `f` on a thread of its own inside a new mount namespace in which nothing propagates
/// back to the machine's.
fn in_mount_namespace<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(move || {
        // SAFETY: unshare(2) and mount(2) with valid C strings; they affect this thread's
        // namespace only (and the processes it starts).
        unsafe {
            if libc::unshare(libc::CLONE_NEWNS) != 0 {
                panic!(
                    "this test needs a mount namespace to mount a small tmpfs (root or CAP_SYS_ADMIN, as on the CI machine); {}",
                    os_error("unshare(CLONE_NEWNS)")
                );
            }
            let root = cstr("/");
            if libc::mount(std::ptr::null(), root.as_ptr(), std::ptr::null(), libc::MS_REC | libc::MS_PRIVATE, std::ptr::null()) != 0 {
                panic!("{}", os_error("making mounts private"));
            }
        }
        f()
    })
    .join()
    .unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// Mounts a tmpfs of `size` on `dir`.
fn mount_tmpfs(dir: &Path, size: &str) {
    let target = cstr(dir.to_str().unwrap());
    let (fstype, options) = (cstr("tmpfs"), cstr(&format!("size={size},mode=0755")));
    // SAFETY: valid C strings; `data` is the option string tmpfs expects.
    let rc = unsafe { libc::mount(fstype.as_ptr(), target.as_ptr(), fstype.as_ptr(), 0, options.as_ptr().cast()) };
    assert_eq!(rc, 0, "{}", os_error(&format!("mount -t tmpfs -o size={size} on {}", dir.display())));
}

/// Detaches the tmpfs, so the harness can remove its folder; open files keep it alive.
fn detach(dir: &Path) {
    let target = cstr(dir.to_str().unwrap());
    // SAFETY: a valid C string.
    unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) };
}

/// Free octets on the filesystem holding `dir`.
fn free_space(dir: &Path) -> u64 {
    let path = cstr(dir.to_str().unwrap());
    // SAFETY: statvfs fills the struct it is given.
    unsafe {
        let mut st: libc::statvfs = std::mem::zeroed();
        assert_eq!(libc::statvfs(path.as_ptr(), &mut st), 0, "{}", os_error("statvfs"));
        st.f_bavail as u64 * st.f_frsize as u64
    }
}

/// Every name in `dir`, hidden ones included, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// PUT `body` to `path`: the body is written by a second thread while this one reads the
/// answer, since the server may answer (and stop reading) before the upload ends.
fn put(s: &Server, path: &str, body: Vec<u8>) -> RawResponse {
    let head = crlf(&format!("PUT {path} HTTP/1.1\nContent-Type: application/octet-stream\nContent-Length: {}", body.len()));
    let mut c = s.connect();
    c.send(&head);
    let mut writer = c.stream.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        // The server may close the connection before taking everything: not an error here.
        let _ = writer.write_all(&body);
    });
    let r = c.response(false);
    drop(c);
    let _ = sender.join();
    r
}

fn get(s: &Server, path: &str) -> RawResponse {
    s.req(&format!("GET {path} HTTP/1.1\n"))
}

const CONFIG: &str = "[[route]]\nprefix = \"/dav/\"\nwebdav = { root = \"dav\", anonymous_write = true }\n";

#[test]
fn issue8_item5_put_on_a_full_disk_is_507_and_the_old_file_stays() {
    in_mount_namespace(|| {
        let dir = common::folder(&[]);
        let root: PathBuf = dir.path().join("dav");
        std::fs::create_dir(&root).unwrap();
        mount_tmpfs(&root, FS_SIZE);
        let old = common::pseudo_random(512 * 1024, 1);
        std::fs::write(root.join("f.bin"), &old).unwrap();
        let s = Server::start_in(dir, CONFIG, &[]);

        let free = free_space(&root);
        assert!(free > 0 && free < 2 * 1024 * 1024, "a small filesystem: {free} octets free");
        let upload = common::pseudo_random(free as usize + 512 * 1024, 2);
        let r = put(&s, "/dav/f.bin", upload);
        assert_eq!(r.status, 507, "PUT larger than the free space ({free} octets): {r:?}");
        r.assert_error_shape();
        assert!(r.text().contains("storage space"), "the body explains the 507: {}", r.text());

        // The old file is intact, nothing else was left behind, the space is free again.
        assert!(std::fs::read(root.join("f.bin")).unwrap() == old, "F is byte-identical after the failed PUT");
        assert_eq!(names(&root), ["f.bin"], "no temporary left");
        assert_eq!(free_space(&root), free, "the partial upload's space was given back");

        // The server keeps serving: reads, and writes that fit.
        let r = get(&s, "/dav/f.bin");
        assert_eq!(r.status, 200);
        assert!(r.body == old, "GET returns the old content");
        let small = common::pseudo_random(10 * 1024, 3);
        let r = put(&s, "/dav/small.bin", small.clone());
        assert_eq!(r.status, 201, "a PUT that fits still works: {r:?}");
        assert!(std::fs::read(root.join("small.bin")).unwrap() == small);
        let r = put(&s, "/dav/f.bin", small.clone());
        assert_eq!(r.status, 204, "and can replace F: {r:?}");
        assert!(get(&s, "/dav/f.bin").body == small);

        // Detached while the server still runs, so dropping it can remove its folder.
        detach(&root);
        drop(s);
    });
}

#[test]
fn issue8_item5_new_file_on_a_full_disk_is_507_and_leaves_nothing() {
    in_mount_namespace(|| {
        let dir = common::folder(&[]);
        let root: PathBuf = dir.path().join("dav");
        std::fs::create_dir(&root).unwrap();
        mount_tmpfs(&root, FS_SIZE);
        let s = Server::start_in(dir, CONFIG, &[]);
        let free = free_space(&root);
        // Chunked, so the server cannot know the size in advance.
        let body = common::pseudo_random(free as usize + 64 * 1024, 4);
        let head = crlf("PUT /dav/new.bin HTTP/1.1\nTransfer-Encoding: chunked");
        let mut c: Conn = s.connect();
        c.send(&head);
        let mut writer = c.stream.try_clone().unwrap();
        let sender = std::thread::spawn(move || {
            for chunk in body.chunks(64 * 1024) {
                if writer.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).is_err()
                    || writer.write_all(chunk).is_err()
                    || writer.write_all(b"\r\n").is_err()
                {
                    return;
                }
            }
            let _ = writer.write_all(b"0\r\n\r\n");
        });
        let r = c.response(false);
        drop(c);
        let _ = sender.join();
        assert_eq!(r.status, 507, "{r:?}");
        assert!(r.text().contains("storage space"), "{}", r.text());
        assert!(names(&root).is_empty(), "neither the file nor a temporary exists: {:?}", names(&root));
        assert_eq!(get(&s, "/dav/new.bin").status, 404);
        assert_eq!(free_space(&root), free);
        // Detached while the server still runs, so dropping it can remove its folder.
        detach(&root);
        drop(s);
    });
}
