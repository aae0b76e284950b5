import { expect } from 'chai';
import {
  bitString,
  boolean,
  explicit,
  generalizedTime,
  implicit,
  integer,
  octetString,
  oid,
  sequence,
  set,
  tagged,
  utcTime,
  utf8String,
  x509Time,
} from '../../src/tls/der.js';
import { hasOpenssl, openssl } from './openssl.js';

const hex = (buffer: Buffer) => buffer.toString('hex');

describe('the DER writer', () => {
  it('writes lengths in the short form below 128 and the long form from 128', () => {
    expect(hex(octetString(Buffer.alloc(0)))).to.equal('0400');
    expect(hex(octetString(Buffer.alloc(127)).subarray(0, 2))).to.equal('047f');
    expect(hex(octetString(Buffer.alloc(128)).subarray(0, 3))).to.equal('048180');
    expect(hex(octetString(Buffer.alloc(256)).subarray(0, 4))).to.equal('04820100');
    expect(hex(octetString(Buffer.alloc(70000)).subarray(0, 5))).to.equal('0483011170');
    expect(octetString(Buffer.alloc(70000))).to.have.length(70005);
  });

  it('writes INTEGERs in the fewest bytes, with a 0x00 before a set top bit', () => {
    expect(hex(integer(0))).to.equal('020100');
    expect(hex(integer(127))).to.equal('02017f');
    expect(hex(integer(128))).to.equal('02020080');
    expect(hex(integer(256))).to.equal('02020100');
    expect(hex(integer(0x1234567))).to.equal('020401234567');
    expect(hex(integer(Buffer.from('000000ff', 'hex')))).to.equal('020200ff');
    expect(hex(integer(Buffer.from('0001', 'hex')))).to.equal('020101');
    expect(hex(integer(Buffer.alloc(0)))).to.equal('020100');
    expect(() => integer(-1)).to.throw(RangeError);
    expect(() => integer(1.5)).to.throw(RangeError);
  });

  it('writes OBJECT IDENTIFIERs with the first two arcs joined and each arc base 128', () => {
    expect(hex(oid('1.2.840.113549'))).to.equal('06062a864886f70d'); // X.690's rsadsi example
    expect(hex(oid('2.5.4.3'))).to.equal('0603550403');
    expect(hex(oid('1.2.840.10045.4.3.2'))).to.equal('06082a8648ce3d040302');
    expect(hex(oid('2.999.3'))).to.equal('0603883703');
    for (const bad of ['1', '3.1', '1.40', 'a.b', '1..2']) expect(() => oid(bad), bad).to.throw(RangeError);
  });

  it('writes UTCTime to 2049 and GeneralizedTime from 2050, in whole seconds', () => {
    const date = new Date(Date.UTC(2049, 11, 31, 23, 59, 59, 999));
    expect(utcTime(date).toString('latin1', 2)).to.equal('491231235959Z');
    expect(x509Time(date)[0]).to.equal(0x17);
    const later = new Date(Date.UTC(2050, 0, 1, 0, 0, 0));
    expect(generalizedTime(later).toString('latin1', 2)).to.equal('20500101000000Z');
    expect(x509Time(later)[0]).to.equal(0x18);
    expect(x509Time(new Date(Date.UTC(1949, 0, 1)))[0]).to.equal(0x18);
    expect(() => utcTime(later)).to.throw(RangeError);
    expect(() => utcTime(new Date(Number.NaN))).to.throw(RangeError);
  });

  it('writes BIT STRINGs, booleans, strings, sets and context tags', () => {
    expect(hex(bitString(Buffer.from([0x80]), 7))).to.equal('03020780');
    expect(hex(bitString(Buffer.alloc(0)))).to.equal('030100');
    expect(() => bitString(Buffer.from([1]), 8)).to.throw(RangeError);
    expect(() => bitString(Buffer.alloc(0), 1)).to.throw(RangeError);
    expect(hex(boolean(true))).to.equal('0101ff');
    expect(hex(boolean(false))).to.equal('010100');
    expect(hex(utf8String('é'))).to.equal('0c02c3a9');
    expect(hex(set(integer(1), integer(2)))).to.equal('3106020101020102');
    expect(hex(explicit(0, integer(2)))).to.equal('a003020102');
    expect(hex(implicit(7, Buffer.from([127, 0, 0, 1])))).to.equal('87047f000001');
    expect(() => explicit(31, integer(0))).to.throw(RangeError);
    expect(hex(tagged(0x05, Buffer.alloc(0)))).to.equal('0500');
  });

  it('writes what openssl asn1parse reads back, value by value', function () {
    if (!hasOpenssl()) this.skip(); // no openssl command here to parse with
    const long = Buffer.alloc(300, 0xab);
    const der = sequence(
      explicit(0, integer(2)),
      integer(Buffer.from('4f1e2d3c4b5a69788796a5b4c3d2e1f0', 'hex')),
      oid('1.2.840.10045.4.3.2'),
      set(sequence(oid('2.5.4.3'), utf8String('localhost'))),
      sequence(utcTime(new Date(Date.UTC(2026, 11, 2, 17, 0, 0))), generalizedTime(new Date(Date.UTC(2051, 0, 2, 3, 4, 5)))),
      boolean(true),
      bitString(Buffer.from([0x80]), 7),
      octetString(long),
      explicit(3, sequence(implicit(2, Buffer.from('localhost')))),
    );
    const lines = openssl(['asn1parse', '-inform', 'DER'], der)
      .trim()
      .split('\n')
      .map((line) =>
        line
          .replace(/^\s*\d+:/, '')
          .replace(/\s+/g, ' ')
          .trim(),
      );
    expect(lines).to.deep.equal([
      `d=0 hl=4 l= ${der.length - 4} cons: SEQUENCE`,
      'd=1 hl=2 l= 3 cons: cont [ 0 ]',
      'd=2 hl=2 l= 1 prim: INTEGER :02',
      'd=1 hl=2 l= 16 prim: INTEGER :4F1E2D3C4B5A69788796A5B4C3D2E1F0',
      'd=1 hl=2 l= 8 prim: OBJECT :ecdsa-with-SHA256',
      'd=1 hl=2 l= 18 cons: SET',
      'd=2 hl=2 l= 16 cons: SEQUENCE',
      'd=3 hl=2 l= 3 prim: OBJECT :commonName',
      'd=3 hl=2 l= 9 prim: UTF8STRING :localhost',
      'd=1 hl=2 l= 32 cons: SEQUENCE',
      'd=2 hl=2 l= 13 prim: UTCTIME :261202170000Z',
      'd=2 hl=2 l= 15 prim: GENERALIZEDTIME :20510102030405Z',
      'd=1 hl=2 l= 1 prim: BOOLEAN :255',
      'd=1 hl=2 l= 2 prim: BIT STRING',
      'd=1 hl=4 l= 300 prim: OCTET STRING [HEX DUMP]:' + long.toString('hex').toUpperCase(),
      'd=1 hl=2 l= 13 cons: cont [ 3 ]',
      'd=2 hl=2 l= 11 cons: SEQUENCE',
      'd=3 hl=2 l= 9 prim: cont [ 2 ]',
    ]);
  });
});
