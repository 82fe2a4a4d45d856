/**
 * A FIFO that ends once: values pushed before end() are delivered, in order,
 * to whoever iterates (iterators share one queue). Values are buffered until
 * the first iterator starts and while any iterator is open; once every
 * iterator has been returned (a consumer left its for-await loop), the buffer
 * is dropped and later values are discarded until a new iterator opens, so a
 * consumer that stopped reading never makes memory grow.
 */
export class ChunkQueue<T> implements AsyncIterable<T> {
  #buffer: T[] = [];
  readonly #waiters: ((result: IteratorResult<T, undefined>) => void)[] = [];
  #ended = false;
  #opened = false;
  #open = 0;

  push(value: T): void {
    if (this.#ended || this.#abandoned) return;
    const waiter = this.#waiters.shift();
    if (waiter) waiter({ done: false, value });
    else this.#buffer.push(value);
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const waiter of this.#waiters.splice(0)) waiter({ done: true, value: undefined });
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#buffer.length > 0) return Promise.resolve({ done: false, value: this.#buffer.shift() as T });
    if (this.#ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    this.#opened = true;
    this.#open += 1;
    let returned = false;
    return {
      next: () => this.next(),
      // Leaving a for-await loop early stops this iterator only; the session stays open.
      return: () => {
        if (!returned) {
          returned = true;
          this.#open -= 1;
          if (this.#abandoned) {
            this.#buffer = [];
            for (const waiter of this.#waiters.splice(0)) waiter({ done: true, value: undefined });
          }
        }
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  /** Every iterator that was opened has been returned: nobody will read what arrives now. */
  get #abandoned(): boolean {
    return this.#opened && this.#open === 0;
  }
}
