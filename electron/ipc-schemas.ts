/**
 * Schemas for every IPC payload the main process accepts. The renderer is treated as untrusted
 * input (a compromised page can call ipcRenderer with anything the preload forwards), so each
 * payload is parsed here before it reaches a dialog or the file system. Pure: no Electron.
 */
import { z } from 'zod';
import type {
  FileFilter,
  OpenFileRequest,
  SaveFileRequest,
  SyncDiscoverRequest,
  SyncHostStartRequest,
  SyncServersRequest,
  SecretOpenRequest,
  SecretSealRequest,
} from './bridge-types';
import { signalingUrlSchema } from '../shared/sync/invite';

/** Larger than any realistic backup or catalogue export; stops a runaway page filling the disk or RAM. */
export const MAX_FILE_BYTES = 200 * 1024 * 1024;
const MAX_FILE_MEGABYTES = MAX_FILE_BYTES / (1024 * 1024);

const fileFilterSchema = z.strictObject({
  name: z.string().trim().min(1, 'A file filter needs a name').max(100),
  extensions: z
    .array(
      z
        .string()
        .regex(/^(\*|[A-Za-z0-9]{1,16})$/, 'File extensions are letters and digits without the dot, or *'),
    )
    .min(1)
    .max(20),
}) satisfies z.ZodType<FileFilter>;

const fileFiltersSchema = z.array(fileFilterSchema).max(10);

/**
 * A bare file name: the dialog starts in Documents, and a name with folders in it could point
 * the dialog somewhere the person did not expect.
 */
const fileNameSchema = z
  .string()
  .min(1, 'The file needs a name')
  .max(255, 'File names are at most 255 characters')
  .refine(
    // eslint-disable-next-line no-control-regex
    (name) => !/[/\\:\u0000-\u001f\u007f]/.test(name),
    'The file name must not contain / \\ : or control characters',
  )
  .refine((name) => name !== '.' && name !== '..', 'The file name must not be . or ..');

const fileDataSchema = z
  .instanceof(Uint8Array, { message: 'File data must be a Uint8Array' })
  .refine((data) => data.byteLength <= MAX_FILE_BYTES, `Files are limited to ${MAX_FILE_MEGABYTES} MB`);

export const saveFileRequestSchema = z.strictObject({
  suggestedName: fileNameSchema,
  data: fileDataSchema,
  filters: fileFiltersSchema.optional(),
}) satisfies z.ZodType<SaveFileRequest>;

export const openFileRequestSchema = z.strictObject({
  filters: fileFiltersSchema.optional(),
}) satisfies z.ZodType<OpenFileRequest>;

/** Unprivileged ports only; the server falls back to a random free port when this one is taken. */
export const syncHostStartRequestSchema = z.strictObject({
  port: z.number().int().min(1024, 'Pick a port from 1024 to 65535').max(65_535).optional(),
  advertise: z.boolean().optional(),
}) satisfies z.ZodType<SyncHostStartRequest>;

export const syncDiscoverRequestSchema = z.strictObject({
  durationMs: z.number().int().min(250).max(5000, 'Browse for at most 5 seconds').optional(),
}) satisfies z.ZodType<SyncDiscoverRequest>;

/** At most as many servers as an invite may carry, each a ws:// or wss:// address. */
export const syncServersRequestSchema = z.strictObject({
  urls: z.array(signalingUrlSchema).max(10),
}) satisfies z.ZodType<SyncServersRequest>;

/** A network key in base64url is 43 characters; the bound leaves room, nothing more. */
export const secretSealRequestSchema = z.strictObject({
  text: z.string().min(1).max(1024),
}) satisfies z.ZodType<SecretSealRequest>;

/** What secretSeal returned: base64 of a keychain blob a few dozen bytes longer than the text. */
export const secretOpenRequestSchema = z.strictObject({
  sealed: z
    .string()
    .min(4)
    .max(4096)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'A sealed secret is base64'),
}) satisfies z.ZodType<SecretOpenRequest>;

/** stop and status take nothing; the preload sends no payload (undefined). */
export const emptyRequestSchema = z.strictObject({});

/** Thrown to the renderer (as a rejected invoke) when a payload does not match its schema. */
export class InvalidIpcPayloadError extends Error {
  override readonly name = 'InvalidIpcPayloadError';
}

/** Parses or throws an error whose message says what was wrong, for the renderer to show or log. */
export function parseIpcPayload<T>(schema: z.ZodType<T>, channel: string, payload: unknown): T {
  const result = schema.safeParse(payload);
  if (!result.success) {
    throw new InvalidIpcPayloadError(`Invalid ${channel} request: ${z.prettifyError(result.error)}`);
  }
  return result.data;
}
