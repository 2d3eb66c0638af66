/** The fields of an Azure SDK RestError that we branch on. */
interface RestErrorLike {
  name: string;
  statusCode?: number;
  code?: string;
  details?: { odataError?: { code?: string } };
}

function asRestError(error: unknown): RestErrorLike | undefined {
  return error instanceof Error && error.name === "RestError" ? (error as RestErrorLike) : undefined;
}

/** True when a Table Storage call failed with the given HTTP status (and OData code, when given). */
export function isTableError(error: unknown, status: number, code?: string): boolean {
  const rest = asRestError(error);
  if (rest?.statusCode !== status) return false;
  return code === undefined || (rest.details?.odataError?.code ?? rest.code) === code;
}

export const isNotFound = (error: unknown) => isTableError(error, 404);
