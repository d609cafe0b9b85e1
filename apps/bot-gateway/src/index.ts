export { createGateway, type Gateway } from './gateway';
export { loadGatewayConfig, schema as configSchema, type Config } from './config';
