/** "1 miss", "2 misses": a count with its noun in the right number (the plural given when it is not noun + "s"). */
export function count(n: number, noun: string, many = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : many}`;
}
