// The navigation between the studio's pages.

import type { Route } from '../hooks/use-hash-route';
import type { PageInfo } from '../lib/pages';

export function PageNav({ pages, route }: { pages: PageInfo[]; route: Route }) {
  return (
    <nav aria-label="Pages">
      <ul className="nav">
        {pages.map((page) => (
          <li key={page.route}>
            <a href={`#/${page.route}`} className="nav-link" aria-current={route === page.route ? 'page' : undefined}>
              {page.shortLabel ? (
                <>
                  <span className="nav-long">{page.label}</span>
                  <span className="nav-short">{page.shortLabel}</span>
                </>
              ) : (
                page.label
              )}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
