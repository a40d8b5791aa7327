// The tiny prompting task shared by the level-2 prompting examples: name the Austen novel a
// character comes from — three demonstrations and six test characters.
export const instruction = 'Name the Jane Austen novel each character comes from.';
export const shots = [
  { input: 'Elizabeth Bennet', output: 'Pride and Prejudice' },
  { input: 'Anne Elliot', output: 'Persuasion' },
  { input: 'Catherine Morland', output: 'Northanger Abbey' },
];
export const tests = [
  { input: 'Emma Woodhouse', output: 'Emma' }, { input: 'Fanny Price', output: 'Mansfield Park' },
  { input: 'Elinor Dashwood', output: 'Sense and Sensibility' }, { input: 'Mr. Darcy', output: 'Pride and Prejudice' },
  { input: 'Captain Wentworth', output: 'Persuasion' }, { input: 'Mr. Knightley', output: 'Emma' },
];
/** Plain-text prompt labels for a base model. */
export const format = { instruction, inputLabel: 'Character:', outputLabel: 'Novel:' };
