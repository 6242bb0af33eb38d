//! The deployment examples in `deploy/` stay true to the app: the systemd unit's command and
//! settings start a server that behaves as the unit says, and the nginx site forwards to that
//! server, is trusted by it, and admits the bodies the app accepts (checked with `nginx -t`
//! when nginx is installed).

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn deploy(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(name)
}

/// The `[Service]` settings of a unit: each key with its values in order.
fn unit_service(text: &str) -> HashMap<String, Vec<String>> {
    let mut section = String::new();
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') {
            section = line.to_string();
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("not key=value: {line}"));
        if section == "[Service]" {
            out.entry(k.trim().to_string())
                .or_default()
                .push(v.trim().to_string());
        }
    }
    out
}

struct Unit {
    args: Vec<String>,
    env: Vec<(String, String)>,
}

fn unit() -> Unit {
    let text = std::fs::read_to_string(deploy("zhibiao.service")).unwrap();
    let s = unit_service(&text);
    let exec = &s["ExecStart"];
    assert_eq!(exec.len(), 1, "one ExecStart");
    let mut words = exec[0].split_whitespace().map(str::to_string);
    let program = words.next().unwrap();
    assert!(program.ends_with("/zhibiao"), "{program}");
    let env = s
        .get("Environment")
        .into_iter()
        .flatten()
        .map(|e| {
            let (k, v) = e.split_once('=').unwrap();
            (k.to_string(), v.trim_matches('"').to_string())
        })
        .collect();
    Unit {
        args: words.collect(),
        env,
    }
}

/// The value following `flag` in `args`.
fn flag<'a>(args: &'a [String], flag: &str) -> &'a str {
    let at = args
        .iter()
        .position(|a| a == flag)
        .unwrap_or_else(|| panic!("{flag} in {args:?}"));
    &args[at + 1]
}

#[test]
fn the_systemd_unit_uses_only_flags_and_variables_the_cli_reads() {
    let unit = unit();
    // Every flag parses: clap refuses an unknown one before it prints the help.
    let out = Command::new(env!("CARGO_BIN_EXE_zhibiao"))
        .args(&unit.args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ExecStart's flags: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let help = String::from_utf8_lossy(&out.stdout);
    for (k, _) in &unit.env {
        if k.starts_with("ZHIBIAO_") {
            assert!(
                help.contains(&format!("[env: {k}=")),
                "{k} is not a setting of `serve`:\n{help}"
            );
        }
    }
}

#[tokio::test]
async fn the_unit_starts_a_server_that_trusts_its_proxy_and_keeps_metrics_local() {
    let unit = unit();
    let data = tempfile::tempdir().unwrap();
    // The unit's command with the test's data directory and a free port.
    let mut args = unit.args.clone();
    for (name, value) in [
        ("--data-dir", data.path().display().to_string()),
        ("--bind", "127.0.0.1:0".to_string()),
    ] {
        let at = args.iter().position(|a| a == name).unwrap();
        args[at + 1] = value;
    }
    let mut proc = Command::new(env!("CARGO_BIN_EXE_zhibiao"))
        .args(&args)
        .envs(unit.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(proc.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    if !line.contains("http://") {
        let _ = proc.kill();
        let mut err = String::new();
        std::io::Read::read_to_string(&mut proc.stderr.take().unwrap(), &mut err).unwrap();
        panic!("the unit's command did not start a server: {line}{err}");
    }
    let base = format!("http://{}", line.trim().rsplit("http://").next().unwrap());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let get = |path: &str, xff: Option<&str>| {
        let mut r = client.get(format!("{base}{path}"));
        if let Some(x) = xff {
            r = r.header("x-forwarded-for", x);
        }
        r.send()
    };
    let health = get("/healthz", None).await.unwrap();
    assert_eq!(health.status(), 200);
    // Prometheus on this machine reads /metrics; a client the proxy forwards does not.
    assert_eq!(get("/metrics", None).await.unwrap().status(), 200);
    assert_eq!(
        get("/metrics", Some("203.0.113.9")).await.unwrap().status(),
        403
    );
    // The proxy is trusted: the forwarded client is the one the app sees (limits, audit).
    let r = get("/", Some("203.0.113.9")).await.unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("Secure"), "behind TLS: {cookie}");
    let _ = proc.kill();
    let _ = proc.wait();
    // JSON logs, one object per line.
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut proc.stderr.take().unwrap(), &mut logs).unwrap();
    let first = logs.lines().next().expect("the server logged");
    let event: serde_json::Value = serde_json::from_str(first)
        .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {first}"));
    assert!(
        event["level"].is_string() && event["message"].is_string(),
        "{event}"
    );
}

/// `client_max_body_size 17m;` → bytes.
fn size(v: &str) -> u64 {
    let v = v.trim().to_ascii_lowercase();
    let (n, unit) = v.split_at(v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len()));
    let n: u64 = n.parse().unwrap();
    n * match unit {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        u => panic!("unit {u}"),
    }
}

/// Every `directive value…;` of the nginx file (comments dropped), in order.
fn directives(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(|l| l.split('#').next().unwrap().trim())
        .filter(|l| l.ends_with(';'))
        .map(|l| {
            let l = l.trim_end_matches(';');
            let (k, v) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            (k.to_string(), v.trim().to_string())
        })
        .collect()
}

#[test]
fn the_nginx_site_matches_the_app_and_the_unit() {
    let text = std::fs::read_to_string(deploy("nginx/zhibiao.conf")).unwrap();
    let d = directives(&text);
    let get = |k: &str| -> Vec<&str> {
        d.iter()
            .filter(|(a, _)| a == k)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let unit = unit();
    // The upstream is the unit's --bind, and a proxy the unit trusts.
    let bind = flag(&unit.args, "--bind");
    let upstream = get("server");
    assert_eq!(upstream, vec![bind], "upstream server vs the unit's --bind");
    let trusted = &unit
        .env
        .iter()
        .find(|(k, _)| k == "ZHIBIAO_TRUSTED_PROXIES")
        .expect("the unit trusts its proxy")
        .1;
    let ip: std::net::IpAddr = bind.parse::<std::net::SocketAddr>().unwrap().ip();
    let nets = zhibiao::config::parse_proxies(trusted).unwrap();
    assert!(
        nets.iter().any(|n| n.contains(&ip)),
        "nginx connects from {ip}, which ZHIBIAO_TRUSTED_PROXIES={trusted} must contain"
    );
    // The header the app reads (web::address), overwritten with the peer's address.
    assert!(
        get("proxy_set_header").contains(&"X-Forwarded-For $remote_addr"),
        "{:?}",
        get("proxy_set_header")
    );
    // Bodies: at least what the app accepts (so the app answers with its own message), and
    // not more than a multipart wrapping's worth beyond it.
    let app_limit = (zhibiao::web::MAX_BODY_BYTES as u64)
        .max(zhibiao::config::UploadLimits::default().sheet.upload_bytes);
    let proxy = size(get("client_max_body_size")[0]);
    assert!(
        proxy >= app_limit && proxy <= app_limit + (1 << 20),
        "client_max_body_size {proxy} vs the app's {app_limit}"
    );
    // TLS, and the app marks cookies Secure behind it.
    assert!(get("listen").iter().any(|l| l.contains("443 ssl")));
    assert!(
        unit.env
            .iter()
            .any(|(k, v)| k == "ZHIBIAO_SECURE_COOKIES" && v == "1")
    );
    // /metrics is not published through the proxy.
    assert!(
        text.contains("location = /metrics {\n        return 404;"),
        "/metrics must be closed on the public site"
    );
}

#[test]
fn nginx_accepts_the_site_configuration() {
    let nginx = ["nginx", "/usr/sbin/nginx"]
        .into_iter()
        .find(|n| Command::new(n).arg("-v").output().is_ok());
    let Some(nginx) = nginx else {
        assert!(
            std::env::var_os("ZHIBIAO_REQUIRE_TOOLS").is_none(),
            "nginx is required (ZHIBIAO_REQUIRE_TOOLS is set)"
        );
        eprintln!(
            "skipped: nginx is not installed (apt-get install nginx-light to run `nginx -t`)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=zhibiao.test", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output();
    if !made.is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var_os("ZHIBIAO_REQUIRE_TOOLS").is_none(),
            "openssl is required (ZHIBIAO_REQUIRE_TOOLS is set)"
        );
        eprintln!("skipped: openssl could not make the test certificate `nginx -t` loads");
        return;
    }
    let site = std::fs::read_to_string(deploy("nginx/zhibiao.conf"))
        .unwrap()
        .replace(
            "/etc/ssl/zhibiao/fullchain.pem",
            &cert.display().to_string(),
        )
        .replace("/etc/ssl/zhibiao/privkey.pem", &key.display().to_string());
    std::fs::write(dir.path().join("site.conf"), site).unwrap();
    let d = dir.path().display();
    std::fs::write(
        dir.path().join("nginx.conf"),
        format!(
            "pid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{}}\nhttp {{\n    access_log off;\n    include {d}/site.conf;\n}}\n"
        ),
    )
    .unwrap();
    let out = Command::new(nginx)
        .arg("-t")
        .arg("-p")
        .arg(dir.path())
        .arg("-c")
        .arg(dir.path().join("nginx.conf"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "nginx -t: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
