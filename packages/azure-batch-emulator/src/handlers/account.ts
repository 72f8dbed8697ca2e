import { supportedImages } from '../catalog/images';
import { nextLink, takePage } from '../odata/paging';
import type { Operation, OperationResult } from '../pipeline/types';
import { listQuery, metadata } from './common';

/** Account operations: the images and node agents pools can use. */
export class AccountHandler {
  listSupportedImages = (op: Operation): OperationResult => {
    const q = listQuery(op);
    const images = supportedImages(new Date()).map((image, i) => ({ seq: i + 1, image }));
    const { page, nextAfter } = takePage(images, q.paging, (r) => !q.filter || q.filter(r.image));
    return {
      status: 200,
      body: {
        kind: 'list',
        mapper: 'ImageInformation',
        models: page.map((r) => r.image),
        metadata: metadata(op, 'supportedimages'),
        nextLink:
          nextAfter === undefined
            ? undefined
            : nextLink(op.baseUrl, op.rawPath, op.query, nextAfter),
      },
    };
  };
}
