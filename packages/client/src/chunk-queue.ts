/**
 * An unbounded FIFO that ends once: values pushed before end() are all
 * delivered, in order, to whoever iterates (iterators share one queue).
 */
export class ChunkQueue<T> implements AsyncIterable<T> {
  readonly #buffer: T[] = [];
  readonly #waiters: ((result: IteratorResult<T, undefined>) => void)[] = [];
  #ended = false;

  push(value: T): void {
    if (this.#ended) return;
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
    return {
      next: () => this.next(),
      // Leaving a for-await loop early stops this iterator only; the session stays open.
      return: () => Promise.resolve({ done: true, value: undefined }),
    };
  }
}
