// The texts of MessageBird's "SMS Order Notifications" guide.
const templates: Record<string, string> = {
  pending: "Hello, {name}, thanks for ordering at OmNomNom Foods! We're still working on your order. Please be patient with us!",
  confirmed: 'Hello, {name}, thanks for ordering at OmNomNom Foods! We are now preparing your food with love and fresh ingredients and will keep you updated.',
  delayed: 'Hello, {name}, sometimes good things take time! Unfortunately your order is slightly delayed but will be delivered as soon as possible.',
  delivered: 'Hello, {name}, you can start setting the table! Our driver is on their way with your order! Bon appetit!',
};

const fallback = "We can't find your order! Please call our customer support for assistance.";

export function messageForStatus(status: string, name: string): string {
  const template = Object.hasOwn(templates, status) ? templates[status]! : fallback;
  // A function replacer, so a name containing "$&" or "$'" is inserted literally.
  return template.replaceAll('{name}', () => name);
}
