// @azure/functions is CommonJS without ESM named-export hints, so Node's ESM loader sees only its default export.
import azureFunctions from "@azure/functions";

export const { app, HttpRequest, HttpResponse, InvocationContext } = azureFunctions;
