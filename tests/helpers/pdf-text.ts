import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';

/** The text of every page of a PDF, pages joined by form feeds, lines by spaces: what a reader can search. */
export async function pdfText(pdf: Uint8Array): Promise<string> {
  return (await pdfPages(pdf)).map((items) => items.join(' ')).join('\f');
}

/** Each page's text items (one per line a cell or paragraph was set in), in reading order. */
export async function pdfPages(pdf: Uint8Array): Promise<string[][]> {
  const document = await getDocument({ data: new Uint8Array(pdf), useSystemFonts: false, isEvalSupported: false }).promise;
  const pages: string[][] = [];
  for (let number = 1; number <= document.numPages; number++) {
    const content = await (await document.getPage(number)).getTextContent();
    pages.push(content.items.map((item) => ('str' in item ? item.str : '')));
  }
  await document.destroy();
  return pages;
}

export async function pdfPageCount(pdf: Uint8Array): Promise<number> {
  const document = await getDocument({ data: new Uint8Array(pdf), isEvalSupported: false }).promise;
  const pages = document.numPages;
  await document.destroy();
  return pages;
}
