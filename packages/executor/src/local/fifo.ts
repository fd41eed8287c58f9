/**
 * A first-in, first-out queue for the local backend's invocation queues (the pool's and each thread's),
 * which may hold thousands of payloads at once: read by a head index instead of `shift()` (which moves
 * every remaining item), with the consumed prefix dropped once it is most of the array.
 */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Appends an item; returns the new size. */
  push(item: T): number {
    this.#items.push(item);
    return this.size;
  }

  /** Removes and returns the newest item, or undefined when empty. */
  pop(): T | undefined {
    if (this.#head === this.#items.length) return undefined;
    const item = this.#items.pop();
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    }
    return item;
  }

  /** Removes and returns the oldest item, or undefined when empty. */
  shift(): T | undefined {
    if (this.#head === this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}
