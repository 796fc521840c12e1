//! System users for tests. Creating them is serialised with flock(1) because
//! test binaries run in parallel processes.

use std::process::Command;

use crate::run;

const TEST_USER: &str = "drover-test";
const LOCK: &str = "/tmp/drover-testsupport-users.lock";

pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

fn locked_sh(script: &str) {
    run(Command::new("flock").args([LOCK, "/bin/sh", "-ec", script]));
}

/// The login user for test sshd servers: a dedicated non-root user when
/// running as root (root's start-up files are slow), else ourselves.
pub fn test_user() -> String {
    if !is_root() {
        return run(Command::new("id").arg("-un")).trim().to_string();
    }
    ensure_user(TEST_USER);
    TEST_USER.to_string()
}

/// Create `name` if missing. Password field '*': with `UsePAM no` sshd
/// treats useradd's '!' as a locked account and refuses key logins.
pub(crate) fn ensure_user(name: &str) {
    locked_sh(&format!(
        "id {name} >/dev/null 2>&1 || useradd -m -s /bin/sh {name}
         if [ \"$(passwd -S {name} | awk '{{print $2}}')\" = L ]; then usermod -p '*' {name}; fi"
    ));
}

/// A login user whose sudo rule requires its password, and a target user.
pub struct SudoFixture {
    pub login_user: String,
    pub password: String,
    pub target_user: String,
}

const SUDO_LOGIN: &str = "drover-sudo";
const SUDO_TARGET: &str = "drover-target";
// Has a space and quote characters: the password must survive as stdin bytes.
const SUDO_PASSWORD: &str = "s3cr3t 'pw' \"x\"";

pub fn sudo_fixture() -> SudoFixture {
    assert!(
        is_root(),
        "testsupport: sudo_fixture needs root (it creates users and sudoers rules)"
    );
    assert!(
        std::path::Path::new("/usr/bin/sudo").exists(),
        "testsupport: sudo_fixture needs /usr/bin/sudo (apt-get install sudo)"
    );
    // timestamp_timeout=0: a cached sudo ticket must not hide a wrong password.
    let rule = format!(
        "Defaults:{SUDO_LOGIN} timestamp_timeout=0, !lecture\\n{SUDO_LOGIN} ALL=(ALL:ALL) ALL\\n"
    );
    locked_sh(&format!(
        "for u in {SUDO_LOGIN} {SUDO_TARGET}; do id $u >/dev/null 2>&1 || useradd -m -s /bin/sh $u; done
         usermod -p '*' {SUDO_TARGET}
         printf '%s:%s\\n' {SUDO_LOGIN} {pw} | chpasswd
         printf '{rule}' > /etc/sudoers.d/drover-test.tmp
         chmod 440 /etc/sudoers.d/drover-test.tmp
         visudo -cqf /etc/sudoers.d/drover-test.tmp
         mv -f /etc/sudoers.d/drover-test.tmp /etc/sudoers.d/drover-test",
        pw = sh_quote(SUDO_PASSWORD)
    ));
    SudoFixture {
        login_user: SUDO_LOGIN.to_string(),
        password: SUDO_PASSWORD.to_string(),
        target_user: SUDO_TARGET.to_string(),
    }
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
