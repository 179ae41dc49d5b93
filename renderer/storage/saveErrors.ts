/**
 * A save refused because one before it failed (persistence.ts saves in order: a save after a failed one
 * would commit entries whose predecessors are missing). Apart from persistence.ts so that the forms' error
 * messages (renderer/app/errors.ts) do not load the doc's code.
 */
export class EarlierSaveFailed extends Error {
  constructor() {
    super('An earlier save failed, so this one was not saved either; try again');
  }
}
