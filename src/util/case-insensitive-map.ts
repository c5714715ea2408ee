/** Reader and writer options, case-insensitive as in Spark; keys keep the user's spelling for messages. */
export class CaseInsensitiveMap extends Map<string, string> {
  private readonly spelled = new Map<string, string>();
  override set(key: string, value: string): this {
    this.spelled.set(key.toLowerCase(), key);
    return super.set(key.toLowerCase(), value);
  }
  override get(key: string): string | undefined { return super.get(key.toLowerCase()); }
  override has(key: string): boolean { return super.has(key.toLowerCase()); }
  override delete(key: string): boolean { this.spelled.delete(key.toLowerCase()); return super.delete(key.toLowerCase()); }
  copy(): CaseInsensitiveMap {
    const m = new CaseInsensitiveMap();
    for (const k of this.userKeys()) m.set(k, this.get(k)!);
    return m;
  }
  /** The keys as the user wrote them. */
  userKeys(): string[] { return [...this.spelled.values()]; }
  /** Keys not in `known` (compared case-insensitively), as the user wrote them. */
  unknown(known: readonly string[]): string[] {
    const k = new Set(known.map((x) => x.toLowerCase()));
    return this.userKeys().filter((u) => !k.has(u.toLowerCase()));
  }
}
