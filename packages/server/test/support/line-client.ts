import { Task, type CloseReason } from '../../src/scheduler/task.js';

/** A client task that collects the newline-ended lines it reads, and how it closed. */
export class LineClient extends Task {
  readonly lines: string[] = [];
  readonly closes: CloseReason[] = [];
  private partial = '';

  override onData(chunk: Buffer): void {
    this.partial += chunk.toString('latin1');
    let end: number;
    while ((end = this.partial.indexOf('\n')) !== -1) {
      this.lines.push(this.partial.slice(0, end));
      this.partial = this.partial.slice(end + 1);
    }
  }

  override onClose(reason: CloseReason): void {
    this.closes.push(reason);
  }
}
