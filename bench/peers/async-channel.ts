/**
 * The async/await peer: a minimal unbuffered (rendezvous) channel on promises.
 *
 * It is what a careful engineer writes in plain JavaScript, and no slower than
 * it has to be: a send finds a waiting receiver and hands it the value at once
 * (the sender goes on with an already-resolved promise), else it waits until a
 * receiver takes its value; a receive is the mirror image. At most one side's
 * queue is non-empty. No close, no select: the benchmark needs neither, and
 * leaving them out only makes this peer faster.
 */

const RESOLVED: Promise<void> = Promise.resolve();

export class AsyncChannel<T> {
  private readonly receivers: ((value: T) => void)[] = [];
  private readonly senders: { value: T; resume: () => void }[] = [];

  /** Resolves once a receiver has taken `value`. */
  send(value: T): Promise<void> {
    const receiver = this.receivers.shift();
    if (receiver !== undefined) {
      receiver(value);
      return RESOLVED;
    }
    return new Promise((resume) => this.senders.push({ value, resume }));
  }

  /** Resolves with the next value a sender hands over. */
  recv(): Promise<T> {
    const sender = this.senders.shift();
    if (sender !== undefined) {
      sender.resume();
      return Promise.resolve(sender.value);
    }
    return new Promise((receive) => this.receivers.push(receive));
  }
}
