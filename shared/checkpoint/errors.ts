/** A checkpoint part that is not well formed: the message says where and what. */
export class CheckpointFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointFormatError';
  }
}

export function fault(where: string, what: string): never {
  throw new CheckpointFormatError(`The checkpoint is malformed at ${where}: ${what}`);
}
