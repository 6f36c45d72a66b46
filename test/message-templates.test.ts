import { describe, expect, it } from 'vitest';
import { messageForStatus } from '../src/notifications/message-templates.ts';

describe('messageForStatus', () => {
  it.each([
    ['pending', "Hello, Hannah, thanks for ordering at OmNomNom Foods! We're still working on your order. Please be patient with us!"],
    ['confirmed', 'Hello, Hannah, thanks for ordering at OmNomNom Foods! We are now preparing your food with love and fresh ingredients and will keep you updated.'],
    ['delayed', 'Hello, Hannah, sometimes good things take time! Unfortunately your order is slightly delayed but will be delivered as soon as possible.'],
    ['delivered', 'Hello, Hannah, you can start setting the table! Our driver is on their way with your order! Bon appetit!'],
  ])('fills in the name for %s', (status, text) => {
    expect(messageForStatus(status, 'Hannah')).toBe(text);
  });

  it.each(['lost', '', 'toString', '__proto__'])('falls back to the support text for status %j', (status) => {
    expect(messageForStatus(status, 'Hannah')).toBe("We can't find your order! Please call our customer support for assistance.");
  });

  it('inserts a name containing template-like text literally', () => {
    expect(messageForStatus('delivered', '$& {name}')).toMatch(/^Hello, \$& \{name\}, you can/);
  });
});
