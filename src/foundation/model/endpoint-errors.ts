/** Model endpoints given together that do not serve the same model: a usage error. */
export class EndpointMismatchError extends Error {
  constructor(readonly served: Array<{ url: string; model: string }>) {
    super(
      `the model endpoints do not serve the same model: ${served.map((entry) => `${entry.url} serves ${JSON.stringify(entry.model)}`).join(", ")}`,
    );
    this.name = "EndpointMismatchError";
  }
}
