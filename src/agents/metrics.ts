/** A small Prometheus registry: counters and gauges with labels, rendered in the text exposition format. */
export class Metrics {
  private readonly series = new Map<string, { help: string; type: "counter" | "gauge"; values: Map<string, number> }>();

  constructor(private readonly prefix = "poq_") {}

  private family(name: string, help: string, type: "counter" | "gauge") {
    const full = this.prefix + name;
    let f = this.series.get(full);
    if (!f) {
      f = { help, type, values: new Map() };
      this.series.set(full, f);
    }
    return f;
  }

  inc(name: string, help: string, labels: Record<string, string | number> = {}, by = 1): void {
    const f = this.family(name, help, "counter");
    const key = labelKey(labels);
    f.values.set(key, (f.values.get(key) ?? 0) + by);
  }

  set(name: string, help: string, value: number, labels: Record<string, string | number> = {}): void {
    this.family(name, help, "gauge").values.set(labelKey(labels), value);
  }

  get(name: string, labels: Record<string, string | number> = {}): number | undefined {
    return this.series.get(this.prefix + name)?.values.get(labelKey(labels));
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, f] of [...this.series.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      lines.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      for (const [key, v] of f.values) lines.push(`${name}${key} ${v}`);
    }
    return `${lines.join("\n")}\n`;
  }
}

function labelKey(labels: Record<string, string | number>): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return "";
  return `{${keys.map((k) => `${k}="${String(labels[k]).replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`).join(",")}}`;
}
