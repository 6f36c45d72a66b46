import { describe, expect, it } from 'vitest';
import { defaultTemplates, renderTemplate } from '../src/notifications/message-templates.ts';
import type { TemplateValues } from '../src/notifications/message-templates.ts';

const values: TemplateValues = { name: 'Hannah', status: 'pending', delay: '20 minutes', eta: '19:45', restaurant: 'OmNomNom Foods', orderNumber: '17', trackingLink: 'https://orders.example.com/t/Xq3kP9vB2mWz' };

describe('message templates', () => {
  it.each([
    ['pending', "Hello, Hannah, thanks for ordering at OmNomNom Foods! We're still working on your order. Please be patient with us!"],
    ['confirmed', 'Hello, Hannah, thanks for ordering at OmNomNom Foods! We are now preparing your food with love and fresh ingredients and will keep you updated.'],
    ['delayed', 'Hello, Hannah, sometimes good things take time! Unfortunately your order is running about 20 minutes late; we now expect to deliver it around 19:45.'],
    ['delivered', 'Hello, Hannah, you can start setting the table! Our driver is on their way with your order! Bon appetit!'],
  ] as const)('out of the box, %s sends the guide\'s text (delayed: with the estimate)', (status, text) => {
    expect(renderTemplate(defaultTemplates[status], values)).toBe(text);
  });

  it('uses the restaurant name it is given', () => {
    expect(renderTemplate(defaultTemplates.confirmed, { ...values, restaurant: 'Pizza Uno' })).toContain('ordering at Pizza Uno!');
  });

  it('inserts a name containing template-like text literally', () => {
    expect(renderTemplate(defaultTemplates.delivered, { ...values, name: '$& {name} {restaurant}' })).toMatch(/^Hello, \$& \{name\} \{restaurant\}, you can/);
  });

  it('leaves braces that are not placeholders as they are', () => {
    expect(renderTemplate('{name} {toString} {__proto__} {}', values)).toBe('Hannah {toString} {__proto__} {}');
  });
});
