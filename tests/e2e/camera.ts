import type { BrowserContext, Page } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { toBuffer } from 'qrcode';
import { openHub } from './browser';

/** The fake camera's frame: 640 × 480, what a laptop webcam gives. */
const WIDTH = 640;
const HEIGHT = 480;

/**
 * Writes a one-frame Y4M video (the format Chromium's fake camera reads) showing `png` in the middle of
 * a white frame, each pixel drawn `scale` × `scale`: a code held up to a webcam.
 */
export function pngToY4m(png: Buffer, file: string, scale = 2): void {
  const image = PNG.sync.read(png);
  const luma = Buffer.alloc(WIDTH * HEIGHT, 235); // white (video range)
  const left = Math.floor((WIDTH - image.width * scale) / 2);
  const top = Math.floor((HEIGHT - image.height * scale) / 2);
  if (left < 0 || top < 0)
    throw new Error(`${image.width}×${image.height} × ${scale} does not fit the frame`);
  for (let y = 0; y < image.height * scale; y++) {
    for (let x = 0; x < image.width * scale; x++) {
      const i = (Math.floor(y / scale) * image.width + Math.floor(x / scale)) * 4;
      const grey = (image.data[i]! * 299 + image.data[i + 1]! * 587 + image.data[i + 2]! * 114) / 1000;
      luma[(top + y) * WIDTH + left + x] = Math.round(16 + (grey * 219) / 255);
    }
  }
  const chroma = Buffer.alloc((WIDTH / 2) * (HEIGHT / 2) * 2, 128); // no colour
  const header = Buffer.from(`YUV4MPEG2 W${WIDTH} H${HEIGHT} F10:1 Ip A1:1 C420jpeg\nFRAME\n`);
  writeFileSync(file, Buffer.concat([header, luma, chroma]));
}

/** A QR code of `text` as a PNG, as any phone or printer would show it. */
export function qrPng(text: string): Promise<Buffer> {
  return toBuffer(text, { margin: 4, scale: 4 });
}

/** A fresh browser whose camera films `y4m` (Chromium's fake capture device), camera permission granted. */
export function openWithCamera(
  profileDir: string,
  baseURL: string,
  y4m: string,
): Promise<{ context: BrowserContext; page: Page }> {
  return openHub(profileDir, baseURL, {
    extraArgs: ['--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${y4m}`],
    permissions: ['camera'],
  });
}
