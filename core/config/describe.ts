// A normalised config as a person reads it: what will listen, where it routes, what is checked, which
// addresses VRRP moves. Printed by `tcpvs config check`.

import type { CheckConfig, TcpvsConfig } from "./types.ts";

function ms(n: number): string {
  return n % 1000 === 0 ? `${n / 1000}s` : `${n}ms`;
}

function check(c: CheckConfig): string {
  const timing = `every ${ms(c.interval)}, timeout ${ms(c.timeout)}, rise ${c.rise}, fall ${c.fall}${c.retry ? `, retry ${c.retry}` : ""}`;
  const what =
    c.type === "http" || c.type === "https"
      ? ` ${c.method} ${c.path}`
      : c.type === "script"
        ? ` ${c.script}`
        : "";
  return `${c.type}${what} (${timing})`;
}

export function describeConfig(cfg: TcpvsConfig, workers?: number): string {
  const out: string[] = [];
  const w =
    workers === undefined ? "" : `, workers ${workers}${cfg.global.workers === "auto" ? " (auto)" : ""}`;
  out.push(
    `control ${cfg.global.control.text}${cfg.global.metrics ? `, metrics ${cfg.global.metrics.text}` : ""}${w}`,
  );
  for (const vs of cfg.virtual_server) {
    out.push(`virtual_server ${vs.name} (${vs.mode}) listen ${vs.listen.map((l) => l.text).join(", ")}`);
    for (const r of vs.rule) {
      const m = Object.entries(r)
        .filter(([k, v]) => k !== "pool" && v !== undefined)
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
        .join(" ");
      out.push(`  rule ${m} -> pool ${r.pool}`);
    }
    out.push(`  default -> pool ${vs.pool}`);
    if (vs.tls) {
      out.push(`  tls min_version ${vs.tls.min_version}, alpn ${vs.tls.alpn.join(",")}`);
      for (const c of vs.tls.loaded ?? [])
        out.push(
          `  certificate ${c.names.join(",")} until ${c.notAfter.toISOString().slice(0, 10)} (${c.file})`,
        );
    }
  }
  for (const p of Object.values(cfg.pool)) {
    out.push(
      `pool ${p.name}: scheduler ${p.scheduler}${p.sorry_server ? `, sorry_server ${p.sorry_server.text}` : ""}, quorum ${p.quorum}`,
    );
    for (const s of p.server) {
      out.push(
        `  server ${s.name === s.address.text ? s.name : `${s.name} ${s.address.text}`} weight ${s.weight}${s.backup ? " backup" : ""}`,
      );
    }
    for (const c of p.check) out.push(`  check ${check(c)}`);
    if (p.tls)
      out.push(
        `  tls to servers: verify ${p.tls.verify}${p.tls.sni ? `, sni ${p.tls.sni}` : ""}${p.tls.certificate ? `, client certificate ${p.tls.certificate}` : ""}`,
      );
  }
  for (const v of Object.values(cfg.vrrp)) {
    const vips = v.virtual_ipaddress.map((a) => `${a.address}/${a.prefix}`).join(", ");
    out.push(
      `vrrp ${v.name}: ${v.interface} vrid ${v.virtual_router_id} priority ${v.priority} v${v.version} advert ${ms(v.advert_int)}${v.preempt ? "" : " nopreempt"} vips ${vips}`,
    );
  }
  return `${out.join("\n")}\n`;
}
