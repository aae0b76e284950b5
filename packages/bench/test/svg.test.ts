import { expect } from 'chai';
import { escapeXml, niceTicks, renderSvg } from '../src/svg.js';
import { sampleRun } from './sample-run.js';

/** Checks that tags nest and close properly; returns the element names in order. */
function checkBalanced(xml: string): string[] {
  const body = xml.replace(/^<\?xml[^>]*\?>/, '');
  const stack: string[] = [];
  const names: string[] = [];
  for (const [, close, name, selfClose] of body.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    if (close) expect(stack.pop(), `</${name}>`).to.equal(name);
    else {
      names.push(name!);
      if (!selfClose) stack.push(name!);
    }
  }
  expect(stack).to.deep.equal([]);
  return names;
}

describe('renderSvg', () => {
  const svg = renderSvg(sampleRun());

  it('is balanced XML with one svg root', () => {
    const names = checkBalanced(svg);
    expect(names[0]).to.equal('svg');
    expect(names.filter((n) => n === 'svg')).to.have.length(1);
  });

  it('draws one bar per measured cell and one legend swatch per server', () => {
    // 2 rows x 3 servers, one n/a.
    expect(svg.match(/<rect class="bar"/g)).to.have.length(5);
    expect(svg.match(/<rect class="swatch"/g)).to.have.length(3);
    expect(svg.match(/<rect/g)).to.have.length(8);
    expect(svg.match(/>n\/a</g)).to.have.length(1);
  });

  it('colours each server the same in every group and in the legend', () => {
    const fills = [...svg.matchAll(/<rect class="(bar|swatch)"[^>]*fill="([^"]+)"/g)].map((m) => m[2]);
    const [bars, swatches] = [fills.slice(3), fills.slice(0, 3)];
    expect(new Set(swatches).size).to.equal(3);
    expect(bars).to.deep.equal([swatches[0], swatches[1], swatches[0], swatches[1], swatches[2]]);
  });

  it('escapes text and has no external references', () => {
    expect(svg).to.include('raw &lt;uWS&gt; &amp; co');
    expect(svg).not.to.include('<uWS>');
    expect(svg).not.to.match(/<script|@import|href=/);
  });

  it('carries the title, the date and the value labels', () => {
    expect(svg).to.include('requests per second');
    expect(svg).to.include('2026-11-22T06:00:00.000Z');
    expect(svg).to.include('>33k<');
    expect(svg).to.include('>80k<');
  });

  it('scales bars to the largest value', () => {
    const heights = [...svg.matchAll(/<rect class="bar"[^>]*height="([\d.]+)"/g)].map((m) => Number(m[1]));
    // 80,000 on a 0..80k axis fills the plot; 11,000 is 11/80 of it.
    expect(heights[0]! / Math.max(...heights)).to.be.closeTo(11 / 80, 0.01);
  });
});

describe('niceTicks', () => {
  it('steps by 1, 2 or 5 x 10^k up to at least the maximum', () => {
    expect(niceTicks(80000)).to.deep.equal([0, 20000, 40000, 60000, 80000]);
    expect(niceTicks(101)).to.deep.equal([0, 50, 100, 150]);
  });
});

describe('escapeXml', () => {
  it('escapes the five XML specials', () => {
    expect(escapeXml(`<a & "b" 'c'>`)).to.equal('&lt;a &amp; &quot;b&quot; &apos;c&apos;&gt;');
  });
});
