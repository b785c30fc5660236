/** Counts in words people read: "1 epoch", "3 epochs", "1,250 batches". */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? noun : nouns}`;
}
