import { AjvSchemaValidator } from './ajv-schema-validator';

describe('AjvSchemaValidator', () => {
  const v = new AjvSchemaValidator();
  const schema = { type: 'object', required: ['id', 'total'], properties: { id: { type: 'integer' }, total: { type: 'number' } } };

  it('accepts a conforming value and names the first problem of one that is not', () => {
    expect(v.validate(schema, { id: 1, total: 9.5 })).toBeUndefined();
    expect(v.validate(schema, { id: 1 })).toMatch(/must have required property 'total'/);
    expect(v.validate(schema, { id: 'x', total: 1 })).toMatch(/\/id must be integer/);
  });

  it('reports a schema it cannot compile instead of throwing', () => {
    expect(v.validate({ type: 'no-such-type' }, {})).toMatch(/not a valid JSON Schema/);
  });
});
