// The converter on keepalived text written for each keyword issue 19 lists: what it writes, and the
// stderr line for what it cannot carry over.
import { describe, expect, test } from "bun:test";
import toml from "toml";
import { parseConfig } from "../../core/config/load.ts";
import { formatDropped } from "../../core/import/import-ledger.ts";
import { parseKeepalived } from "../../core/import/keepalived-parser.ts";
import { realScriptHost, type ScriptHost } from "../../core/import/script-host.ts";
import { importKeepalived } from "../../core/import/to-tcpvs.ts";

// This machine, as config check sees it, except that keepalived's default script user
// (keepalived_script) is taken as absent whatever the machine has, so the expected files are fixed.
const HERE: ScriptHost = {
  userProblem: (t) =>
    t === "keepalived_script" ? 'no user "keepalived_script"' : realScriptHost.userProblem(t),
  scriptProblem: (c) => realScriptHost.scriptProblem(c),
};

function imp(text: string, httpPorts: number[] = [], host = HERE) {
  const io = { read: () => text, glob: () => [] };
  const parsed = parseKeepalived("keepalived.conf", io, "lb1");
  const result = importKeepalived(parsed, { httpPorts, host });
  parseConfig(result.toml, "imported.toml"); // throws on anything `tcpvs config check` refuses
  return { cfg: toml.parse(result.toml), dropped: result.dropped.map(formatDropped), result };
}

describe("vrrp_instance", () => {
  const conf = `
global_defs {
  router_id lb1
  vrrp_version 3
  vrrp_garp_master_repeat 3
  vrrp_garp_master_refresh 60
}
vrrp_script orphan {
  script /bin/true
}
vrrp_script chk {
  script "/usr/bin/test -f /run/ok"
  interval 3
  timeout 2
  weight -40
  user nobody
}
vrrp_instance VI_6 {
  interface eth0
  virtual_router_id 61
  priority 120
  advert_int 0.5
  preempt_delay 10
  virtual_ipaddress {
    2001:db8::100/64 dev eth0
    192.0.2.50/24
  }
  unicast_src_ip 2001:db8::1
  unicast_peer {
    2001:db8::2 min_ttl 250
  }
  check_unicast_src
  track_script {
    chk weight -50
  }
  notify "/etc/keepalived/notify.sh"
  notify_stop /etc/keepalived/stop.sh
  garp_master_delay 1
  state BACKUP
  notify_master /etc/keepalived/master.sh nobody nogroup
}
vrrp_instance VI_DUP {
  interface eth0
  virtual_router_id 61
  virtual_ipaddress {
    2001:db8::101
  }
}
vrrp_instance VI_NOIF {
  track_script {
    orphan
  }
  virtual_router_id 62
  virtual_ipaddress {
    192.0.2.99
  }
}
`;
  test("IPv6 instance: v3 from vrrp_version, sub-second advert, unicast, a vrrp_script with the instance's weight", () => {
    const { cfg } = imp(conf);
    expect(cfg.global).toEqual({ router_id: "lb1" });
    expect(cfg.vrrp).toEqual({
      VI_6: {
        interface: "eth0",
        virtual_router_id: 61,
        priority: 120,
        state: "BACKUP",
        advert_int: "500ms",
        version: 3,
        preempt_delay: "10s",
        virtual_ipaddress: ["2001:db8::100/64 dev eth0"],
        unicast_src_ip: "2001:db8::1",
        unicast_peer: ["2001:db8::2"],
        check_unicast_src: true,
        track_script: [
          {
            name: "chk",
            script: "/usr/bin/test -f /run/ok",
            interval: "3s",
            timeout: "2s",
            rise: 1,
            fall: 1,
            weight: -50,
          },
        ],
        notify: "/etc/keepalived/notify.sh",
        notify_stop: "/etc/keepalived/stop.sh",
        garp_master_delay: "1s",
        notify_master: "/etc/keepalived/master.sh",
        garp_master_repeat: 3,
        garp_master_refresh: "60s",
      },
    });
  });
  test("what it reports, one line each, at the keyword's line", () => {
    expect(imp(conf).dropped).toEqual([
      "keepalived.conf:8: vrrp_script orphan: not carried over: no vrrp_instance carried over tracks it",
      "keepalived.conf:16: user: not carried over: tcpvs has no per-script user: every script runs as [global] script_user, which this file leaves unset (so as tcpvs's own user)",
      "keepalived.conf:26: virtual_ipaddress: not carried over: an instance speaks one address family (IPv6, its first VIP's); add a second instance for IPv4",
      "keepalived.conf:30: unicast_peer min_ttl 250: not carried over: tcpvs does not check a peer's TTL",
      "keepalived.conf:40: notify_master nobody nogroup: not carried over: tcpvs has no per-script user: every script runs as [global] script_user, which this file leaves unset (so as tcpvs's own user)",
      "keepalived.conf:42: vrrp_instance VI_DUP: not carried over: virtual_router_id 61 on eth0 is already used by vrrp_instance VI_6",
      "keepalived.conf:49: vrrp_instance VI_NOIF: not carried over: it has no interface",
    ]);
  });
  test("VRRPv2 defaults: version 2, whole-second adverts, PASS auth cut to 8 characters, AH refused", () => {
    const { cfg, dropped } = imp(`
vrrp_instance A {
  interface eth0
  virtual_router_id 1
  advert_int 1.5
  authentication {
    auth_type PASS
    auth_pass 0123456789
  }
  virtual_ipaddress {
    10.0.0.1/24 brd 10.0.0.255 dev eth0 scope global label eth0:1
  }
  track_interface {
    eth1 weight -20
    eth2
  }
}
vrrp_instance B {
  interface eth0
  virtual_router_id 2
  authentication {
    auth_type AH
    auth_pass x
  }
  virtual_ipaddress {
    10.0.0.2
  }
  state backup
}`);
    expect(cfg.vrrp.A).toMatchObject({
      version: 2,
      advert_int: "2s",
      auth_pass: "01234567",
      virtual_ipaddress: ["10.0.0.1/24 dev eth0 label eth0:1"],
      track_interface: [{ name: "eth1", weight: -20 }, "eth2"],
    });
    expect(cfg.vrrp.B.auth_pass).toBeUndefined(); // AH is reported, and no PASS password is made of it
    expect(cfg.vrrp.B.state).toBeUndefined(); // keepalived reads MASTER and BACKUP, as written
    expect(dropped).toEqual([
      "keepalived.conf:5: advert_int: not carried over: VRRPv2 advertises whole seconds: written as 2s",
      "keepalived.conf:11: virtual_ipaddress brd 10.0.0.255: not carried over: tcpvs adds a VIP with its address, prefix, dev and label only",
      "keepalived.conf:11: virtual_ipaddress scope global: not carried over: tcpvs adds a VIP with its address, prefix, dev and label only",
      "keepalived.conf:21: auth_type AH: not carried over: tcpvs implements PASS authentication only",
      'keepalived.conf:28: state: not carried over: expected MASTER or BACKUP, got "backup"',
    ]);
  });
});

test("state: MASTER starts as master; keepalived then clears nopreempt and preempt_delay, and so does the import", () => {
  const inst = (name: string, vrid: number, state: string) => `
vrrp_instance ${name} {
  state ${state}
  nopreempt
  preempt_delay 30
  interface eth0
  virtual_router_id ${vrid}
  virtual_ipaddress {
    10.0.0.${vrid}
  }
}`;
  const { cfg, dropped } = imp(inst("M", 1, "MASTER") + inst("B", 2, "BACKUP"));
  expect(cfg.vrrp.M).toMatchObject({ state: "MASTER" });
  expect([cfg.vrrp.M.preempt, cfg.vrrp.M.preempt_delay]).toEqual([undefined, undefined]);
  expect(cfg.vrrp.B).toMatchObject({ state: "BACKUP", preempt: false, preempt_delay: "30s" });
  expect(dropped).toEqual([
    "keepalived.conf:4: nopreempt: not carried over: keepalived ignores it with state MASTER (it says so and clears it); so does the import",
    "keepalived.conf:5: preempt_delay: not carried over: keepalived ignores it with state MASTER (it says so and clears it); so does the import",
  ]);
});

describe("virtual_server", () => {
  const conf = `
virtual_server 10.0.0.1 443 {
  lvs_sched sh
  lvs_method DR
  persistence_timeout
  persistence_granularity 255.255.255.0
  protocol TCP
  virtualhost www.example.org
  real_server 10.0.1.1 443 {
    weight 3
    uthreshold 500
    inhibit_on_failure
    notify_down "/bin/down.sh"
    SSL_GET {
      url {
        path /status
        digest 9B3A0C85A887A256D6939DA88AABD8CD
        regex "ok|fine"
      }
      http_protocol 1.0C
      enable_sni
      connect_port 8443
    }
    DNS_CHECK {
      type a
      name example.org
      connect_port 53
    }
  }
  real_server 10.0.1.2 443 {
    weight 3
    inhibit_on_failure
    notify_down "/bin/down.sh"
    SSL_GET {
      url {
        path /status
        digest 9b3a0c85a887a256d6939da88aabd8cd
        regex "ok|fine"
      }
      http_protocol 1.0C
      enable_sni
      connect_port 8443
    }
    DNS_CHECK {
      type a
      name example.org
      connect_port 53
    }
  }
  real_server 10.0.1.2 443 {
  }
}
virtual_server 10.0.0.1 80 {
  lb_algo wrr
  delay_loop 10
  real_server 10.0.1.1 80 {
    MISC_CHECK {
      misc_path "/usr/local/bin/weight.sh"
      misc_timeout 4
      misc_dynamic
    }
    PING_CHECK {
      bindto 10.0.0.9
    }
    UDP_CHECK {
      connect_port 514
      payload 68 69 7f 0a 22
      require_reply
      bindto 10.0.0.2
      bind_port 40514
      warmup 0
    }
  }
}
virtual_server 10.0.0.1 25 {
  omega
  quorum_up "/bin/up.sh" nobody
  quorum_down /bin/down.sh
  warmup 2
  real_server 10.0.1.1 25 {
    TCP_CHECK {
      connect_ip 10.0.9.9
      bindto 10.0.0.2
      bind_if eth0
    }
  }
  real_server 10.0.1.2 25 {
    TCP_CHECK {
      connect_ip 10.0.9.9
      bindto 10.0.0.2
    }
  }
  real_server 10.0.1.3 25 {
    TCP_CHECK {
      connect_ip 10.0.9.10
      bindto 10.0.0.2
    }
  }
}`;
  test("scheduler, persistence, real servers, every checker tcpvs has, keepalived's defaults written out", () => {
    const { cfg } = imp(conf, [80]);
    expect(cfg.virtual_server.map((v: { mode: string }) => v.mode)).toEqual(["tcp", "http", "tcp"]);
    const p443 = cfg.pool.vs_10_0_0_1_443;
    expect(p443).toMatchObject({
      scheduler: "sh",
      persistence_timeout: "360s", // keepalived's 6 minutes for a bare persistence_timeout
      persistence_granularity: "255.255.255.0",
      inhibit_on_failure: true,
      notify_down: "/bin/down.sh",
    });
    expect(p443.server).toEqual([
      { address: "10.0.1.1:443", weight: 3, max_connections: 500 },
      { address: "10.0.1.2:443", weight: 3 },
    ]);
    expect(p443.check).toEqual([
      {
        type: "https",
        interval: "60s",
        timeout: "5s",
        retry: 1,
        delay_before_retry: "3s",
        port: 8443,
        path: "/status",
        digest: "9b3a0c85a887a256d6939da88aabd8cd",
        body_regex: "ok|fine",
        host: "www.example.org",
        http_version: "1.0",
        tls_verify: false,
      },
      {
        type: "dns",
        interval: "60s",
        timeout: "5s",
        retry: 3,
        delay_before_retry: "60s",
        port: 53,
        record_type: "A",
        name: "example.org",
      },
    ]);
    expect(cfg.pool.vs_10_0_0_1_80.check).toEqual([
      {
        type: "script",
        interval: "10s",
        timeout: "4s",
        retry: 0,
        delay_before_retry: "1s",
        script: "/usr/local/bin/weight.sh",
        dynamic: true,
      },
      { type: "icmp", interval: "10s", timeout: "5s", retry: 1, delay_before_retry: "1s" },
      {
        type: "udp",
        interval: "10s",
        timeout: "5s",
        retry: 1,
        delay_before_retry: "1s",
        port: 514,
        bindto: "10.0.0.2",
        bind_port: 40514,
        warmup: "0s",
        send: 'hi\x7f\n"',
      },
    ]);
    // Checks of another address (connect_ip), from a given source (bindto), most servers' kind kept;
    // the virtual server's warmup is its checks' default; omega and the quorum scripts are the pool's.
    const p25 = cfg.pool.vs_10_0_0_1_25;
    expect(p25).toMatchObject({ omega: true, quorum_up: "/bin/up.sh", quorum_down: "/bin/down.sh" });
    expect(p25.check).toEqual([
      {
        type: "tcp",
        interval: "60s",
        timeout: "5s",
        retry: 1,
        delay_before_retry: "1s",
        connect_ip: "10.0.9.9",
        bindto: "10.0.0.2",
        warmup: "2s",
      },
    ]);
  });
  test("what it reports", () => {
    expect(imp(conf, [80]).dropped).toEqual([
      "keepalived.conf:4: lvs_method DR: not carried over: tcpvs is a proxy, so servers see the director's address unless proxy_protocol is used and the application reads it; replies come back through tcpvs",
      "keepalived.conf:50: real_server: not carried over: real_server 10.0.1.2 443 is already listed at line 30",
      "keepalived.conf:63: bindto: not carried over: tcpvs's icmp check sends from the host's own address",
      "keepalived.conf:77: quorum_up nobody: not carried over: tcpvs has no per-script user: every script runs as [global] script_user, which this file leaves unset (so as tcpvs's own user)",
      "keepalived.conf:84: bind_if: not carried over: tcpvs binds a check to an address (bindto), not to an interface",
      "keepalived.conf:94: TCP_CHECK: not carried over: tcpvs checks every server of a pool alike, with the checks of real_server 10.0.1.1 25 (line 80)",
    ]);
  });
});

describe("script_user, enable_script_security and per-script users", () => {
  const conf = (user: string, script: string) => `
global_defs {
  script_user ${user}
  enable_script_security
}
vrrp_script chk {
  script "${script} -q"
  user ${user}
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 9
  virtual_ipaddress {
    192.0.2.9
  }
  track_script {
    chk
  }
  notify_master ${script} root
}`;

  test("carried over when this machine passes them as config check would (a real user, root-owned scripts)", () => {
    // nobody/nogroup and /usr/bin/true are Debian's own; config check runs in imp() on this machine.
    const { cfg, dropped, result } = imp(conf("nobody nogroup", "/usr/bin/true"));
    expect(cfg.global).toEqual({ script_user: "nobody nogroup", enable_script_security: true });
    expect(cfg.vrrp.VI_1.track_script[0].script).toBe("/usr/bin/true -q");
    expect(cfg.vrrp.VI_1.notify_master).toBe("/usr/bin/true");
    // The vrrp_script's user is the global one: nothing lost. notify_master's root is another.
    expect(dropped).toEqual([
      'keepalived.conf:19: notify_master root: not carried over: tcpvs has no per-script user: every script runs as [global] script_user ("nobody nogroup")',
    ]);
    expect(result.toml).not.toContain("# script_user");
  });

  test("written commented out, with the reason, where this machine would refuse them; config check accepts the file", () => {
    const elsewhere: ScriptHost = {
      userProblem: (t) => `no user "${t.split(" ")[0]}"`,
      scriptProblem: (c) => `"${c.split(" ")[0]}" does not exist`,
    };
    const { cfg, dropped, result } = imp(conf("keepalived_script", "/etc/keepalived/chk.sh"), [], elsewhere);
    expect(cfg.global).toEqual({}); // [global] holds the two settings, commented out
    expect(result.toml).toContain(
      [
        "[global]",
        '# script_user = "keepalived_script"  # from keepalived.conf:3, see the import\'s stderr',
        "# enable_script_security = true  # from keepalived.conf:4, see the import's stderr",
      ].join("\n"),
    );
    expect(dropped).toEqual([
      `keepalived.conf:3: script_user: not carried over: config check refuses it on this machine (no user "keepalived_script"); written commented out in [global]: uncomment it on the node where the user exists (until then scripts run as tcpvs's own user)`,
      `keepalived.conf:4: enable_script_security: not carried over: config check would refuse 2 scripts on this machine (the first, vrrp.VI_1.notify_master: "/etc/keepalived/chk.sh" does not exist); written commented out in [global]: uncomment it on the node once every script is there, root-owned and writable by root only`,
      'keepalived.conf:19: notify_master root: not carried over: tcpvs has no per-script user: every script runs as [global] script_user ("keepalived_script")',
    ]);
  });

  test("no script_user: keepalived's keepalived_script when that user exists, and only when there are scripts", () => {
    const withUser: ScriptHost = { userProblem: () => undefined, scriptProblem: () => undefined };
    const run = (text: string) => {
      const parsed = parseKeepalived("keepalived.conf", { read: () => text, glob: () => [] }, "lb1");
      return importKeepalived(parsed, { host: withUser });
    };
    const scripts = conf("x", "/usr/bin/true").replace(/^\s*(script_user|user) x$/gm, "");
    const r = run(scripts);
    expect(toml.parse(r.toml).global).toEqual({
      script_user: "keepalived_script",
      enable_script_security: true,
    });
    expect(r.toml).toContain(
      "# script_user: keepalived's default, as user keepalived_script exists on the machine that imported",
    );
    // notify_master's "root" differs from keepalived's keepalived_script: reported as before.
    expect(r.dropped.map(formatDropped)).toEqual([
      'keepalived.conf:19: notify_master root: not carried over: tcpvs has no per-script user: every script runs as [global] script_user ("keepalived_script")',
    ]);
    const none = run("global_defs {\n  router_id lb1\n}\n");
    expect(toml.parse(none.toml).global).toEqual({ router_id: "lb1" });
  });
});
