/** A one-line progress bar on a stream (stderr): redrawn in place on a terminal, every 10% otherwise. */
export class ProgressBar {
  private lastDecile = -1;
  constructor(
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly width = 30,
  ) {}

  update(done: number, label = ""): void {
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const filled = Math.round(frac * this.width);
    const line = `[${"#".repeat(filled)}${".".repeat(this.width - filled)}] ${done}/${this.total} ${(frac * 100).toFixed(0)}% ${label}`;
    if (this.stream.isTTY) {
      this.stream.write(`\r${line.padEnd(100).slice(0, 100)}`);
      if (done >= this.total) this.stream.write("\n");
    } else {
      const decile = Math.floor(frac * 10);
      if (decile !== this.lastDecile) {
        this.lastDecile = decile;
        this.stream.write(`${line}\n`);
      }
    }
  }
}
