from dibiao.core.errors import DomainError


class GimapError(DomainError):
    """A refused map request. Codes: `unknown_layer`, `layer_not_public`, `unknown_measure`,
    `invalid_level`, `invalid_division`, `invalid_coordinates`, `coordinates_out_of_range` (400)
    and `no_county` (404: the point lies in no county)."""
