// LLM, media and embedding providers by name (DESIGN: "effects call the registry, never a client
// directly"). The composition root owns one registry per process; discovery lists what it holds.
// No provider is built in yet, so the honest answer today is an empty registry.

export interface Provider {
  /** Lower-case id clients name in requests and flows (`openai`, `ollama`, `lmstudio`, …). */
  readonly name: string;
}

export class ProviderRegistry<P extends Provider = Provider> {
  private readonly byName = new Map<string, P>();

  register(provider: P): void {
    const name = provider.name.trim().toLowerCase();
    if (!name) throw new Error('provider name must be non-empty');
    if (this.byName.has(name)) throw new Error(`provider '${name}' is already registered`);
    this.byName.set(name, provider);
  }

  get(name: string): P | undefined {
    return this.byName.get(name.trim().toLowerCase());
  }

  list(): P[] {
    return [...this.byName.values()];
  }
}
