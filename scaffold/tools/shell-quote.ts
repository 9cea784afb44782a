/** Quotes a word for bash so it reaches the command unchanged (Python's `shlex.quote`). */
export function shellQuote(word: string): string {
  if (word !== "" && /^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'"'"'`)}'`;
}
