import { createElement, type ReactElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ScreenBoundary } from '../../renderer/components/ScreenBoundary';
import { i18n } from '../../renderer/i18n';
import { peerInfoOf } from '../../renderer/sync/presence';

/** Issue 8, part 6: peers' presence is checked before React sees it, and a screen that throws says what to do. */

const good = { device: 'devb1234', deviceName: 'B tablet', hub: 'hubb1234' };

describe('presence from peers', () => {
  it('passes a well-formed presence through, as a plain object with only its three fields', () => {
    expect(peerInfoOf({ larder: good })).toEqual(good);
    expect(peerInfoOf({ larder: { ...good, hub: null } })).toEqual({ ...good, hub: null });
    expect(peerInfoOf({ larder: { ...good, extra: { html: '<b>' } }, cursor: 1 })).toEqual(good);
  });

  it("keeps the room's peer id a device sends (to list it while its connection is heard), and drops a malformed one", () => {
    const peer = '6c1f2a4e-8b3d-4f7a-9e21-0d5c3b7a9f10';
    expect(peerInfoOf({ larder: { ...good, peer } })).toEqual({ ...good, peer });
    expect(Object.keys(peerInfoOf({ larder: good })!)).toEqual(['device', 'deviceName', 'hub']);
    for (const bad of ['', 'x'.repeat(65), 'A<b>', 7, { id: peer }, null])
      expect(peerInfoOf({ larder: { ...good, peer: bad } }), JSON.stringify(bad)).toBeNull();
  });

  it('drops a presence whose device name is an object (which made React throw), or is not text', () => {
    for (const deviceName of [
      { $$typeof: 'x', props: {} },
      { toString: 'x' },
      ['A'],
      42,
      null,
      undefined,
      true,
    ])
      expect(peerInfoOf({ larder: { ...good, deviceName } }), JSON.stringify(deviceName)).toBeNull();
  });

  it('drops states that are not a presence at all', () => {
    for (const state of [
      null,
      undefined,
      'larder',
      7,
      [],
      {},
      { larder: null },
      { larder: 'B tablet' },
      { larder: { ...good, device: 'DEV B' } },
      { larder: { ...good, device: { id: 'devb1234' } } },
      { larder: { ...good, hub: 42 } },
      { larder: { ...good, hub: '../../etc' } },
      { larder: { deviceName: 'B tablet' } },
    ])
      expect(peerInfoOf(state), JSON.stringify(state)).toBeNull();
  });

  it('cleans a name: no control or direction-override characters, at most 80 characters, never empty', () => {
    expect(peerInfoOf({ larder: { ...good, deviceName: ' B\u0000\u202e tab\nlet ' } })?.deviceName).toBe(
      'B tablet',
    );
    expect(peerInfoOf({ larder: { ...good, deviceName: 'x'.repeat(200) } })?.deviceName).toBe('x'.repeat(80));
    expect(peerInfoOf({ larder: { ...good, deviceName: 'x'.repeat(100_000) } })).toBeNull();
    expect(peerInfoOf({ larder: { ...good, deviceName: ' \u0007 ' } })).toBeNull();
  });

  it('what is kept renders as text', () => {
    const info = peerInfoOf({ larder: { ...good, deviceName: '<img src=x onerror=alert(1)>' } })!;
    const html = renderToStaticMarkup(createElement('li', null, info.deviceName));
    expect(html).toBe('<li>&lt;img src=x onerror=alert(1)&gt;</li>');
  });
});

describe('the error boundary around each screen', () => {
  function Broken(): ReactElement {
    throw new Error('Objects are not valid as a React child');
  }

  it('renders its screen while nothing is wrong', () => {
    const html = renderToStaticMarkup(
      createElement(ScreenBoundary, { screen: 'Sync', children: createElement('h1', null, 'Sync') }),
    );
    expect(html).toBe('<h1>Sync</h1>');
  });

  it('after a throw, says what happened and what to do, and offers a reload', () => {
    const boundary = new ScreenBoundary({ screen: 'Sync', children: createElement(Broken) });
    boundary.state = ScreenBoundary.getDerivedStateFromError(
      new Error('Objects are not valid as a React child'),
    );
    const html = renderToStaticMarkup(boundary.render() as ReactElement);
    expect(html).toContain('role="alert"');
    expect(html).toContain(`<h1 id="screen-problem-title">${i18n.t('screenProblem.title')}</h1>`);
    expect(html).toContain('Your saved entries are safe. Go to another screen, or reload Larder.');
    expect(html).toContain('Reload Larder</button>');
    expect(html).toContain('Sync: Objects are not valid as a React child');
  });

  it('turns anything thrown into an error it can show', () => {
    expect(ScreenBoundary.getDerivedStateFromError('a string').error?.message).toBe('a string');
    expect(ScreenBoundary.getDerivedStateFromError({}).error).toBeInstanceOf(Error);
  });
});
