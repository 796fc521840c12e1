use crate::common;

use common::{connect, params, without_agent};
use drover_connection::SshParams;
use drover_testsupport::{drover_home, SshServer};

#[tokio::test]
async fn ssh_config_supplies_hostname_port_user_and_key() {
    without_agent();
    let server = SshServer::start();
    let home = drover_home();
    let kh = home.path().join("kh");
    let base = params(&server, &kh);
    let config = home.path().join("config");
    std::fs::write(
        &config,
        format!(
            "Host elsewhere\n  Port 1\n\nHost web-alias\n  HostName 127.0.0.1\n  Port {}\n  User {}\n  IdentityFile {}\n",
            server.port,
            server.user,
            server.client_key.display()
        ),
    )
    .expect("config");
    let mut p = SshParams::new("web");
    p.address = "web-alias".into();
    p.known_hosts = Some(kh);
    p.ssh_config = Some(config);
    p.connect_timeout = base.connect_timeout;
    let conn = connect(p).await.expect("config-driven connect");
    let out = conn.exec("id -un", None, None).await.expect("exec");
    assert_eq!(out.stdout, format!("{}\n", server.user).into_bytes());
}

#[tokio::test]
async fn proxy_jump_through_a_second_sshd() {
    without_agent();
    let target = SshServer::start();
    let bastion = SshServer::start();
    let home = drover_home();
    let kh = home.path().join("kh");
    let mut p = params(&target, &kh);
    std::fs::write(
        &kh,
        format!("{}\n{}\n", target.host_key_line, bastion.host_key_line),
    )
    .expect("known_hosts");
    // The bastion is reached with its own key, named in the ssh config.
    let config = home.path().join("config");
    std::fs::write(
        &config,
        format!(
            "Host 127.0.0.1\n  IdentityFile {}\n",
            bastion.client_key.display()
        ),
    )
    .expect("config");
    p.ssh_config = Some(config);
    p.proxy_jump = Some(format!("{}@127.0.0.1:{}", bastion.user, bastion.port));
    let conn = connect(p).await.expect("connect through bastion");
    let out = conn
        .exec("echo $SSH_CONNECTION", None, None)
        .await
        .expect("exec");
    assert_eq!(out.rc, 0);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!(" {}", target.port)),
        "{:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        // Nothing but the jump logs in to the bastion.
        bastion.log().contains("Accepted publickey"),
        "bastion was not used: {}",
        bastion.log()
    );
}
