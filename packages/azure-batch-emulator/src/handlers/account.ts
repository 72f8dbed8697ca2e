import { supportedImages } from '../catalog/images';
import type { Operation, OperationResult } from '../pipeline/types';
import { listPage } from './common';
import { FILTERABLE } from '../odata/filterable';

/** Account operations: the images and node agents pools can use. */
export class AccountHandler {
  listSupportedImages = (op: Operation): OperationResult => {
    const images = supportedImages(new Date()).map((image, i) => ({ seq: i + 1, image }));
    return listPage(op, images, (r) => r.image, {
      mapper: 'ImageInformation',
      filterable: FILTERABLE.supportedImages,
      fragment: 'supportedimages',
      selectable: false,
    });
  };
}
